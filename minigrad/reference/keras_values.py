"""TensorFlow / Keras 3 reference values for minigrad's tests.

Produced with TensorFlow 2.21.0 (tensorflow-cpu) and Keras 3.15.1
(keras.layers.BatchNormalization, keras.optimizers.Adam, tf.compat.v1.train.AdamOptimizer,
tf.GradientTape), eager mode. Keras momentum is the fraction of the moving value kept; the
moving variance is fed the BIASED batch variance.
TF_ENABLE_ONEDNN_OPTS=unset (TensorFlow default: oneDNN on); CPU only.
Python 3.11.7, NumPy 2.4.6.

Generated file -- do not edit by hand. Re-create it from the repository root with

    /work/tfvenv/bin/python tests/reference/generate_keras.py   # the TensorFlow venv
"""

import numpy as np

# tf.__version__
TF_VERSION = "2.21.0"
# keras.__version__ (tf.keras is Keras 3)
KERAS_VERSION = "3.15.1"

# ==============================================================================
# Scenario 6: BatchNormalization() defaults (momentum 0.99, eps 1e-3), float32, x (4, 3)
# ==============================================================================
# training input, shape (4, 3) (torch_values.BN1D_X as float32)
BN_X = np.array(
    [[1.1479, 0.408, 1.6785], [-0.6783, -1.4341, 2.6017], [1.8336, 1.7249, 2.1733], [2.1, 2.6985, 1.8898]],
    dtype=np.float32,
)
# inference input, shape (5, 3)
BN_X_EVAL = np.array(
    [
        [-0.562, -2.0937, 1.79],
        [1.1875, -6.6973, 1.9043],
        [2.1712, -3.7609, 1.6208],
        [0.4157, -5.2535, 1.9352],
        [0.4843, -1.014, 1.5057],
    ],
    dtype=np.float32,
)
# gamma set before the call
BN_GAMMA = np.array([1.5, -0.5, 2.0], dtype=np.float32)
# beta set before the call
BN_BETA = np.array([0.1, -0.2, 0.3], dtype=np.float32)
# Keras default momentum (fraction kept)
BN_MOMENTUM = 0.99
# Keras default epsilon
BN_EPS = 0.001
# layer(x, training=True): batch stats, biased variance
BN_TRAIN_OUT = np.array(
    [
        [0.16512954, -0.057554647, -2.0465193],
        [-2.3601308, 0.5370154, 3.2718554],
        [1.1133122, -0.4826072, 0.80392647],
        [1.4816887, -0.7968536, -0.8292618],
    ],
    dtype=np.float32,
)
# moving_mean after that call (from zeros)
BN_MOVING_MEAN = np.array([0.011008, 0.008493249, 0.020858249], dtype=np.float32)
# moving_variance after that call (from ones; BIASED batch var)
BN_MOVING_VAR = np.array([1.001757, 1.0139872, 0.9911953], dtype=np.float32)
# then layer(BN_X_EVAL, training=False): uses the moving stats above
BN_EVAL_OUT = np.array(
    [
        [-0.7583296, 0.84330755, 3.8521724],
        [1.8623103, 3.1280503, 4.08167],
        [3.3358305, 1.6707304, 3.5124443],
        [0.70620286, 2.4115, 4.143712],
        [0.80896133, 0.3074581, 3.2813406],
    ],
    dtype=np.float32,
)

# ==============================================================================
# Scenario 7: NHWC input (2, 3, 3, 2), axis=-1, momentum=0.5, eps 1e-3, float32
# ==============================================================================
# input, shape (2, 3, 3, 2) = (N, H, W, C)
NHWC_X = np.array(
    [
        [
            [[1.4577, 1.145], [0.0368, 2.6802], [-0.9188, 2.1198]],
            [[0.8429, 1.4594], [-1.2536, 1.606], [1.4429, 1.9322]],
            [[0.3493, 1.6759], [0.07, 1.0118], [-0.3378, 2.1717]],
        ],
        [
            [[-1.4937, 1.9989], [-0.0552, 2.4112], [-2.504, 1.9296]],
            [[0.4283, 1.9467], [0.4332, 1.3837], [1.9308, 2.5097]],
            [[0.4724, 2.6145], [-0.2604, 2.5131], [-0.959, 2.8005]],
        ],
    ],
    dtype=np.float32,
)
# gamma per channel
NHWC_GAMMA = np.array([0.8, 1.7], dtype=np.float32)
# beta per channel
NHWC_BETA = np.array([-0.4, 0.25], dtype=np.float32)
# layer(x, training=True) (stats over N, H, W per channel)
NHWC_TRAIN_OUT = np.array(
    [
        [
            [[0.68244296, -2.5232139], [-0.3600312, 2.48557], [-1.0611279, 0.6571946]],
            [[0.2313816, -1.4974437], [-1.3067613, -1.0191431], [0.67158455, 0.045125484]],
            [[-0.13075876, -0.7910857], [-0.33567327, -2.9577954], [-0.6348646, 0.82652473]],
        ],
        [
            [[-1.4829159, 0.262743], [-0.42752898, 1.6079235], [-2.2241442, 0.03664303]],
            [[-0.0727987, 0.09243345], [-0.069203705, -1.7444248], [1.0295429, 1.9292927]],
            [[-0.040443778, 2.2712154], [-0.5780784, 1.9403849], [-1.0906215, 2.8780632]],
        ],
    ],
    dtype=np.float32,
)
# moving_mean after: 0.5*0 + 0.5*batch mean
NHWC_MOVING_MEAN = np.array([-0.008838892, 0.99749714], dtype=np.float32)
# moving_variance after: 0.5*1 + 0.5*biased batch var
NHWC_MOVING_VAR = np.array([1.0939925, 0.63524795], dtype=np.float32)

# ==============================================================================
# Scenario 8: trainable=False layer called with training=True -> inference mode, float32
# ==============================================================================
# input (= BN_X)
FROZEN_X = np.array(
    [[1.1479, 0.408, 1.6785], [-0.6783, -1.4341, 2.6017], [1.8336, 1.7249, 2.1733], [2.1, 2.6985, 1.8898]],
    dtype=np.float32,
)
# gamma
FROZEN_GAMMA = np.array([1.5, -0.5, 2.0], dtype=np.float32)
# beta
FROZEN_BETA = np.array([0.1, -0.2, 0.3], dtype=np.float32)
# moving_mean set before the call
FROZEN_MOVING_MEAN_BEFORE = np.array([0.5, -0.25, 2.0], dtype=np.float32)
# moving_variance set before the call
FROZEN_MOVING_VAR_BEFORE = np.array([0.8, 3.0, 0.2], dtype=np.float32)
# layer.trainable=False; layer(x, training=True): normalised with the MOVING stats
FROZEN_OUT = np.array(
    [
        [1.1858829, -0.3899166, -1.1342101],
        [-1.8748355, 0.1417633, 2.9841824],
        [2.3351188, -0.7700096, 1.0730915],
        [2.7816062, -1.0510168, -0.19160175],
    ],
    dtype=np.float32,
)
# moving_mean after the call (unchanged)
FROZEN_MOVING_MEAN_AFTER = np.array([0.5, -0.25, 2.0], dtype=np.float32)
# moving_variance after the call (unchanged)
FROZEN_MOVING_VAR_AFTER = np.array([0.8, 3.0, 0.2], dtype=np.float32)

# ==============================================================================
# Scenario 9: batch of one in training mode (defaults), float32
# ==============================================================================
# input, shape (1, 3)
ONE_X = np.array([[1.0058, -0.89, -0.8661]], dtype=np.float32)
# gamma
ONE_GAMMA = np.array([1.5, -0.5, 2.0], dtype=np.float32)
# beta
ONE_BETA = np.array([0.1, -0.2, 0.3], dtype=np.float32)
# layer(x, training=True): batch variance 0 -> output ~= beta, NOT bit-exact: tf.nn.batch_normalization computes x*inv + (beta - mean*inv), inv = gamma/sqrt(eps), and the float32 cancellation leaves ~1e-6
ONE_TRAIN_OUT = np.array([[0.099998474, -0.19999981, 0.29999924]], dtype=np.float32)
# moving_mean after: 0.01 * x
ONE_MOVING_MEAN = np.array([0.010058, -0.0089, -0.008661], dtype=np.float32)
# moving_variance after: 0.99 * 1 + 0.01 * 0
ONE_MOVING_VAR = np.array([0.99, 0.99, 0.99], dtype=np.float32)
# Python warnings Keras emitted for this call ('' = none: Keras raises nothing and warns nothing)
ONE_PYTHON_WARNINGS = ""

# ==============================================================================
# Scenario 10: seed 003 -- Input([5]) -> BatchNormalization(epsilon=1e-9, momentum=0.99), fit(x, x, batch_size=3, epochs=10, shuffle=False)
# ==============================================================================
# np.random.seed(1); x = np.random.randn(10, 5) * 5 + 0.3 (float64; Keras casts to float32)
SEED003_X = np.array(
    [
        [8.421726818316209, -2.758782068250377, -2.3408587613172784, -5.064843110780853, 4.627038146623392],
        [-11.207693484401412, 9.0240588210824, -3.5060345044755143, 1.895195480285493, -0.9468518773870505],
        [7.610539685224871, -10.00070354748827, -1.3120860200675375, -1.6202717733420782, 5.968847211677187],
        [-5.1994563365701545, -0.5621410377521787, -4.089292089606859, 0.5110687335779641, 3.2140760685791108],
        [-5.203095886064607, 6.02361854919807, 4.807953602963978, 2.812471694509341, 4.804279746322059],
        [-3.1186392958716658, -0.31445112759324084, -4.378847171295344, -1.0394403981300795, 2.95177733369093],
        [-3.1583037586265457, -1.6837676342798868, -3.1358635005979973, -3.926028207493598, -3.0562306541840956],
        [0.2366770054054932, -5.286551743176389, 1.4720784890854608, 8.599010885549353, 4.0102208028866775],
        [-0.6591777618080745, -4.1381448204241815, -3.4357914687541884, 8.762273005138734, 0.5540387738801449],
        [-2.884978232846767, 1.2545774233373301, 10.801275682394213, 0.9007947624081458, 3.3860155485370957],
    ],
    dtype=np.float64,
)
# BatchNormalization epsilon
SEED003_EPSILON = 1e-09
# BatchNormalization momentum
SEED003_MOMENTUM = 0.99
# batches per epoch in order (shuffle=False)
SEED003_BATCH_SIZES = "3,3,3,1"
# optimizer compile() picked by default
SEED003_OPTIMIZER = "RMSprop(learning_rate=0.0010000000474974513, rho=0.9, momentum=0.0, epsilon=1e-07, centered=False)"
# model.jit_compile as resolved by compile()'s 'auto'
SEED003_JIT_COMPILE = False
# the dummy loss
SEED003_LOSS = "lambda x, y: (x - y) ** 2 (Keras passes y_true, y_pred; reduced by mean over batch and features)"
# moving_mean after ONE epoch (4 updates)
SEED003_MOVING_MEAN_EPOCH1 = np.array(
    [-0.0692359, -0.019378433, 0.056071825, 0.045314267, 0.10588424], dtype=np.float32
)
# moving_variance after ONE epoch (the last batch has 1 row: variance 0)
SEED003_MOVING_VAR_EPOCH1 = np.array([1.7883816, 1.6704313, 1.1965477, 1.4131672, 1.1365659], dtype=np.float32)
# gamma after ONE epoch
SEED003_GAMMA_EPOCH1 = np.array([1.0033419, 1.0043561, 1.0011786, 1.007139, 1.0051384], dtype=np.float32)
# beta after ONE epoch
SEED003_BETA_EPOCH1 = np.array([-0.002366351, -0.00239221, -0.0034047326, 0.0018559176, 0.007886214], dtype=np.float32)
# moving_mean after fit (10 epochs, 40 updates)
SEED003_MOVING_MEAN = np.array([-0.5816427, -0.16279592, 0.47105277, 0.38067982, 0.8895208], dtype=np.float32)
# moving_variance after fit
SEED003_MOVING_VAR = np.array([7.6231003, 6.632216, 2.6511748, 4.47097, 2.1472752], dtype=np.float32)
# gamma after fit (trained by RMSprop)
SEED003_GAMMA = np.array([1.022446, 1.0287457, 1.0244856, 1.0338652, 1.030839], dtype=np.float32)
# beta after fit
SEED003_BETA = np.array([-0.025270933, -0.0101056285, 0.0041295653, 0.018716497, 0.04359283], dtype=np.float32)
# row e: moving_mean after epoch e+1
SEED003_MOVING_MEAN_PER_EPOCH = np.array(
    [
        [-0.0692359, -0.019378433, 0.056071825, 0.045314267, 0.10588424],
        [-0.13574363, -0.037993282, 0.109934196, 0.088842966, 0.20759621],
        [-0.19963068, -0.055874623, 0.16167417, 0.13065647, 0.30530033],
        [-0.26100034, -0.07305137, 0.21137539, 0.17082232, 0.3991545],
        [-0.3199518, -0.0895513, 0.25911817, 0.20940548, 0.48931047],
        [-0.3765804, -0.10540106, 0.30497968, 0.24646832, 0.5759139],
        [-0.43097752, -0.12062628, 0.34903407, 0.2820708, 0.6591048],
        [-0.4832312, -0.13525155, 0.3913526, 0.31627038, 0.73901767],
        [-0.53342587, -0.14930053, 0.43200356, 0.34912235, 0.81578165],
        [-0.5816427, -0.16279592, 0.47105277, 0.38067982, 0.8895208],
    ],
    dtype=np.float32,
)
# row e: moving_variance after epoch e+1
SEED003_MOVING_VAR_PER_EPOCH = np.array(
    [
        [1.7883816, 1.6704313, 1.1965477, 1.4131672, 1.1365659],
        [2.5456975, 2.314445, 1.3853506, 1.8100541, 1.2677506],
        [3.2731724, 2.9330819, 1.5667138, 2.191302, 1.3937663],
        [3.971982, 3.5273418, 1.7409307, 2.5575273, 1.5148164],
        [4.6432557, 4.098186, 1.9082828, 2.909322, 1.6310966],
        [5.288079, 4.646537, 2.0690408, 3.2472546, 1.742795],
        [5.9074936, 5.1732807, 2.223464, 3.5718713, 1.8500919],
        [6.5025, 5.6792684, 2.3718026, 3.8836968, 1.9531609],
        [7.0740614, 6.165318, 2.5142958, 4.183235, 2.0521686],
        [7.6231003, 6.632216, 2.6511748, 4.47097, 2.1472752],
    ],
    dtype=np.float32,
)
# after fit: model(x) (inference) -> pred.mean(axis=0), as the seed prints
SEED003_PRED_MEAN = np.array([-0.37136894, -0.28231415, -0.6142448, 0.411021, 1.2126231], dtype=np.float32)
# after fit: pred.var(axis=0)
SEED003_PRED_VAR = np.array([4.3072724, 4.27831, 8.565474, 4.639676, 3.5709853], dtype=np.float32)

# ==============================================================================
# Scenario 11: gradients of sum(dout * y) through Keras BatchNormalization, dtype='float64' (inputs = torch_values.GRAD_*)
# ==============================================================================
# input x, shape (4, 3)
GRAD_X = np.array(
    [[1.1743, -0.6578, 0.9957], [0.9352, -1.7204, 0.9738], [-0.1697, -3.9798, 1.0102], [0.3052, 0.6709, 1.0117]],
    dtype=np.float64,
)
# gamma
GRAD_GAMMA = np.array([1.3, -0.7, 0.9], dtype=np.float64)
# beta
GRAD_BETA = np.array([0.05, 0.4, -0.3], dtype=np.float64)
# upstream gradient
GRAD_DOUT = np.array(
    [[-0.0331, -0.0173, 0.4473], [2.3887, -0.2086, -0.4167], [0.1282, 0.7555, -0.2219], [-0.2799, 0.8337, 2.0486]],
    dtype=np.float64,
)
# moving_mean set before the training=False case
GRAD_MOVING_MEAN = np.array([0.3, -1.2, 0.99], dtype=np.float64)
# moving_variance set before the training=False case
GRAD_MOVING_VAR = np.array([0.6, 2.5, 0.0004], dtype=np.float64)
# training=True, eps=1e-07: forward output
GRAD_TRAIN_EPS1E7_OUT = np.array(
    [
        [1.5591443976362411, 0.0859055395530573, -0.42705471969502895],
        [0.9705522347215929, 0.5227742507948142, -1.7212400040304061],
        [-1.7493786762127237, 1.4516855684869143, 0.4298259480156048],
        [-0.5803179561451094, -0.46036535883478613, 0.5184687757098132],
    ],
    dtype=np.float64,
)
# training=True, eps=1e-07: dx
GRAD_TRAIN_EPS1E7_DX = np.array(
    [
        [-2.588999149035023, 0.1434755633743506, 3.7449269638328975],
        [3.821723681362741, 0.22735624514452552, 1.0808000602253074],
        [0.3318298751611468, -0.15789299934177553, -67.84337664698499],
        [-1.564554407488866, -0.21293880917710062, 63.01764962292778],
    ],
    dtype=np.float64,
)
# training=True, eps=1e-07: dgamma
GRAD_TRAIN_EPS1E7_DGAMMA = np.array([1.6113200716555802, -0.08154996111605173, 2.277962099571509], dtype=np.float64)
# training=True, eps=1e-07: dbeta
GRAD_TRAIN_EPS1E7_DBETA = np.array([2.2039, 1.3633, 1.8573], dtype=np.float64)
# training=False, eps=1e-07: forward output
GRAD_EVAL_EPS1E7_OUT = np.array(
    [
        [1.5173312582110292, 0.15995783217278203, -0.04353205648953207],
        [1.1160514871504585, 0.6303908966014096, -1.0289088920823772],
        [-0.7382940546514019, 1.6306698969496507, 0.6088863963002495],
        [0.05872712174619393, -0.42828272185160854, 0.6763779603819557],
    ],
    dtype=np.float64,
)
# training=False, eps=1e-07: dx
GRAD_EVAL_EPS1E7_DX = np.array(
    [
        [-0.05555148649981136, 0.007659036339747088, 20.125984409163454],
        [4.008937637525662, 0.09235115494053427, -18.749156501896742],
        [0.21515711689655037, -0.33447410142652745, -9.984252046486409],
        [-0.46975411091532326, -0.3690947165576386, 92.17547878518278],
    ],
    dtype=np.float64,
)
# training=False, eps=1e-07: dgamma
GRAD_EVAL_EPS1E7_DGAMMA = np.array([1.841851156558805, -0.27903570058590244, 2.463311605291569], dtype=np.float64)
# training=False, eps=1e-07: dbeta
GRAD_EVAL_EPS1E7_DBETA = np.array([2.2039, 1.3633, 1.8573], dtype=np.float64)
# training=True, eps=0.001: forward output
GRAD_TRAIN_EPS1E3_OUT = np.array(
    [
        [1.5564461951895325, 0.0859596948196863, -0.35513195303448697],
        [0.968906377442502, 0.5227530824103813, -0.916708590920635],
        [-1.7461615632881309, 1.4515042398754825, 0.01668819533761834],
        [-0.5791910093439028, -0.46021701710555046, 0.05515234861749363],
    ],
    dtype=np.float64,
)
# training=True, eps=0.001: dx
GRAD_TRAIN_EPS1E3_DX = np.array(
    [
        [-2.5802649018827744, 0.14345212232656476, -0.048395551334585674],
        [3.8173950190039143, 0.22731653821413167, -18.249803800642],
        [0.3263416928186016, -0.15787011729395628, -19.82644462219996],
        [-1.5634718099397418, -0.2128985432467402, 38.12464397417662],
    ],
    dtype=np.float64,
)
# training=True, eps=0.001: dgamma
GRAD_TRAIN_EPS1E3_DGAMMA = np.array([1.608439189106116, -0.08153590050549037, 0.9884599311963198], dtype=np.float64)
# training=True, eps=0.001: dbeta
GRAD_TRAIN_EPS1E3_DBETA = np.array([2.2039, 1.3633, 1.8573], dtype=np.float64)
# training=False, eps=0.001: forward output
GRAD_EVAL_EPS1E3_OUT = np.array(
    [
        [1.5161101306886258, 0.1600058214087331, -0.16289498289892634],
        [1.1151643086050729, 0.6303448368478335, -0.6896668907083132],
        [-0.7376380285765156, 1.6304238613943265, 0.18588093779678871],
        [0.05871985894953785, -0.42811713154998393, 0.22196120545496711],
    ],
    dtype=np.float64,
)
# training=False, eps=0.001: dx
GRAD_EVAL_EPS1E3_DX = np.array(
    [
        [-0.05550525600571145, 0.007657505145018292, 10.759135815668468],
        [4.005601360146312, 0.09233269209542287, -10.023098355441652],
        [0.21497806102514225, -0.3344072333561456, -5.337474262233028],
        [-0.46936317691838775, -0.3690209271330491, 49.276024216361336],
    ],
    dtype=np.float64,
)
# training=False, eps=0.001: dgamma
GRAD_EVAL_EPS1E3_DGAMMA = np.array([1.840318349888969, -0.27897991576194675, 1.3168600143393394], dtype=np.float64)
# training=False, eps=0.001: dbeta
GRAD_EVAL_EPS1E3_DBETA = np.array([2.2039, 1.3633, 1.8573], dtype=np.float64)

# ==============================================================================
# Scenario 12: seed 004's hand-written TF layer (tf.nn.moments(inputs, [0]), eps 1e-7, scale=ones, beta=zeros, pop_mean=zeros, pop_var=ones), float64, GradientTape
# ==============================================================================
# training() branch output for x = GRAD_X
SEED004_TRAINING_OUT = np.array(
    [
        [1.1608803058740316, 0.44870637206706104, -0.14117191077225694],
        [0.7081171036319945, -0.17539178684973453, -1.5791555600337885],
        [-1.3841374432405567, -1.5024079549813063, 0.8109177200173374],
        [-0.48485996626546884, 1.2290933697639803, 0.9094097507886788],
    ],
    dtype=np.float64,
)
# training() branch: dx of sum(GRAD_DOUT * y)
SEED004_TRAINING_DX = np.array(
    [
        [-1.9915378069500176, -0.20496509053478662, 4.161029959814285],
        [2.9397874472021086, -0.3247946359207508, 1.2008889558053752],
        [0.2552537501239591, 0.22556142763110784, -75.38152960776083],
        [-1.2035033903760508, 0.3041982988244295, 70.01961069214227],
    ],
    dtype=np.float64,
)
# training() branch: dscale
SEED004_TRAINING_DSCALE = np.array([1.6113200716555802, -0.08154996111605195, 2.2779620995714893], dtype=np.float64)
# training() branch: dbeta
SEED004_TRAINING_DBETA = np.array([2.2039, 1.3633, 1.8573], dtype=np.float64)
# testing() branch output for x = GRAD_X
SEED004_TESTING_OUT = np.array(
    [
        [1.1742999412850041, -0.6577999671100024, 0.9956999502150037],
        [0.9351999532400035, -1.7203999139800064, 0.9737999513100036],
        [-0.16969999151500062, -3.9797998010100146, 1.0101999494900038],
        [0.30519998474000115, 0.6708999664550025, 1.0116999494150039],
    ],
    dtype=np.float64,
)
# testing() branch: dx of sum(GRAD_DOUT * y)
SEED004_TESTING_DX = np.array(
    [
        [-0.03309999834500012, -0.017299999135000063, 0.4472999776350016],
        [2.388699880565009, -0.20859998957000078, -0.41669997916500157],
        [0.12819999359000048, 0.7554999622250027, -0.22189998890500082],
        [-0.279899986005001, 0.8336999583150031, 2.0485998975700075],
    ],
    dtype=np.float64,
)
# testing() branch: dscale
SEED004_TESTING_DSCALE = np.array([2.0878617856069135, -2.077154086142298, 1.8879992956000378], dtype=np.float64)
# testing() branch: dbeta
SEED004_TESTING_DBETA = np.array([2.2039, 1.3633, 1.8573], dtype=np.float64)

# ==============================================================================
# Scenario 13: Adam via apply_gradients, same initial parameter and gradients as torch_values.ADAM_* (lr=1e-3, betas 0.9/0.999, epsilon=1e-8)
# ==============================================================================
# Both are TensorFlow's 'epsilon hat' form: lr_t = lr*sqrt(1-b2**t)/(1-b1**t),
# m += (g-m)*(1-b1), v += (g*g-v)*(1-b2), p -= (m*lr_t)/(sqrt(v)+eps).
# In FLOAT64 neither is the exact float64 formula (checked by this generator, bit for bit):
#  * Keras: lr is a float32 variable (float32(1e-3)) and b1**t, b2**t use float32(0.9),
#    float32(0.999) (tf.cast of a Python float goes through float32); the moment updates use
#    the exact 0.9/0.999. Net effect vs the exact float64 formula: ~6.6e-6 relative in the step.
#  * TF1 AdamOptimizer: lr, beta1, beta2 and epsilon are all float32 values cast to float64,
#    and beta1_power/beta2_power are float32 variables multiplied in float32 each step.
# So compare a float64 'tf' Adam to these with rtol ~1e-5 on the parameter CHANGE, or to
# ADAM_TF_FORM_EXACT_F64 below (NumPy, exact float64 hyper-parameters) tightly.
# initial parameter, float32
ADAM_P0_F32 = np.array([0.5, -0.3, 0.1], dtype=np.float32)
# gradient for step t is row t-1
ADAM_GRADS_F32 = np.array(
    [
        [0.0003, 1e-06, -2e-08],
        [-1e-04, 2.5e-06, 1e-08],
        [0.0002, -5e-07, 3e-08],
        [0.00025, 1.5e-06, -1e-08],
        [-5e-05, 3e-06, 5e-08],
        [0.00015, -2e-06, 2e-08],
    ],
    dtype=np.float32,
)
# keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-8): parameter after step t is row t-1
ADAM_KERAS_PARAMS_F32 = np.array(
    [
        [0.49900106, -0.30075976, 0.10005949],
        [0.49860123, -0.3016007, 0.10007707],
        [0.49799865, -0.3021363, 0.10003588],
        [0.49726546, -0.30277961, 0.10001866],
        [0.49670982, -0.30353424, 0.09993317],
        [0.49609092, -0.30392277, 0.09983281],
    ],
    dtype=np.float32,
)
# tf.compat.v1.train.AdamOptimizer(1e-3) (epsilon default 1e-8): parameter after step t is row t-1
ADAM_TF1_PARAMS_F32 = np.array(
    [
        [0.49900106, -0.30075976, 0.10005949],
        [0.49860123, -0.3016007, 0.10007707],
        [0.49799865, -0.3021363, 0.10003588],
        [0.49726546, -0.30277961, 0.10001866],
        [0.4967098, -0.30353424, 0.09993317],
        [0.4960909, -0.30392277, 0.09983281],
    ],
    dtype=np.float32,
)
# initial parameter, float64
ADAM_P0_F64 = np.array([0.5, -0.3, 0.1], dtype=np.float64)
# gradient for step t is row t-1
ADAM_GRADS_F64 = np.array(
    [
        [0.0003, 1e-06, -2e-08],
        [-0.0001, 2.5e-06, 1e-08],
        [0.0002, -5e-07, 3e-08],
        [0.00025, 1.5e-06, -1e-08],
        [-5e-05, 3e-06, 5e-08],
        [0.00015, -2e-06, 2e-08],
    ],
    dtype=np.float64,
)
# keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-8): parameter after step t is row t-1
ADAM_KERAS_PARAMS_F64 = np.array(
    [
        [0.49900105960387503, -0.3007597418908613, 0.10005948309288103],
        [0.4986012436743236, -0.30160067385069234, 0.10007706553726586],
        [0.49799867077435783, -0.3021362693604885, 0.100035879103511],
        [0.497265467967682, -0.3027795946579927, 0.10001865467589457],
        [0.4967098172036113, -0.3035342082035809, 0.09993316379556427],
        [0.4960909267374997, -0.3039227395756365, 0.09983280738493171],
    ],
    dtype=np.float64,
)
# tf.compat.v1.train.AdamOptimizer(1e-3) (epsilon default 1e-8): parameter after step t is row t-1
ADAM_TF1_PARAMS_F64 = np.array(
    [
        [0.4990010529419297, -0.3007597457888232, 0.10005948313017984],
        [0.498601235725656, -0.30160067992565803, 0.1000770655254382],
        [0.4979986630078532, -0.3021362749154452, 0.10003587933808826],
        [0.4972654575958363, -0.3027796021160477, 0.10001865494715842],
        [0.4967098044938259, -0.30353421853767404, 0.09993316415845979],
        [0.49609091206185546, -0.30392275098256927, 0.0998328079558619],
    ],
    dtype=np.float64,
)
# NumPy: the same TF form with exact float64 lr/betas/eps (what a float64 'tf' Adam should give)
ADAM_TF_FORM_EXACT_F64 = np.array(
    [
        [0.49900105298261227, -0.3007597469266479, 0.10005948348715198],
        [0.49860123440927107, -0.3016006844471562, 0.10007706604780103],
        [0.4979986575340036, -0.3021362834903899, 0.10003587934233049],
        [0.4972654499011157, -0.3027796130224991, 0.10001865480133651],
        [0.49670979548753924, -0.3035342315243776, 0.0999331633595034],
        [0.4960909009651866, -0.30392276544288843, 0.09983280629112959],
    ],
    dtype=np.float64,
)
