"""PyTorch reference values for minigrad's tests.

Produced with PyTorch 2.13.0+cpu (CPU), torch.nn.BatchNorm1d/BatchNorm2d,
torch.optim.Adam and torch.optim.SGD.
PyTorch momentum=0.1 == minigrad momentum=0.9 (fraction kept); PyTorch's running_var is
fed the UNBIASED (n-1) batch variance; normalisation uses the biased one.
Python 3.11.7, NumPy 2.4.6.

Generated file -- do not edit by hand. Re-create it from the repository root with

    python3 tests/reference/generate_torch.py
"""

import numpy as np

# torch.__version__ used to produce this file
TORCH_VERSION = "2.13.0+cpu"

# ==============================================================================
# Scenario 1: BatchNorm1d(3), default momentum=0.1 (minigrad 0.9), eps=1e-5
# ==============================================================================
# training input x, shape (4, 3), float64
BN1D_X = np.array(
    [[1.1479, 0.408, 1.6785], [-0.6783, -1.4341, 2.6017], [1.8336, 1.7249, 2.1733], [2.1, 2.6985, 1.8898]],
    dtype=np.float64,
)
# eval input, shape (5, 3), float64
BN1D_X_EVAL = np.array(
    [
        [-0.562, -2.0937, 1.79],
        [1.1875, -6.6973, 1.9043],
        [2.1712, -3.7609, 1.6208],
        [0.4157, -5.2535, 1.9352],
        [0.4843, -1.014, 1.5057],
    ],
    dtype=np.float64,
)
# bn.weight (gamma)
BN1D_GAMMA = np.array([1.5, -0.5, 2.0], dtype=np.float64)
# bn.bias (beta)
BN1D_BETA = np.array([0.1, -0.2, 0.3], dtype=np.float64)
# eps (PyTorch default)
BN1D_EPS = 1e-05
# PyTorch momentum (fraction of the batch stat)
BN1D_TORCH_MOMENTUM = 0.1
# the same in minigrad's convention (fraction kept)
BN1D_MINIGRAD_MOMENTUM = 0.9
# float64: bn(x) in training mode (batch stats, biased var)
BN1D_TRAIN_OUT = np.array(
    [
        [0.16515706599308377, -0.057525246864072364, -2.0562164654447335],
        [-2.36116637172602, 0.5371674235074051, 3.284135933496112],
        [1.1137388101853898, -0.48266545511128955, 0.8060088020985167],
        [1.482270495547546, -0.7969767215320434, -0.8339282701498897],
    ],
    dtype=np.float64,
)
# float64: running_mean after that one step (from zeros)
BN1D_RUNNING_MEAN = np.array([0.11008000000000001, 0.08493250000000001, 0.2085825], dtype=np.float64)
# float64: running_var after that one step (from ones; unbiased batch var)
BN1D_RUNNING_VAR = np.array([1.05676039, 1.2198292415833334, 0.91593727825], dtype=np.float64)
# float64: num_batches_tracked after one step
BN1D_NUM_BATCHES_TRACKED = 1
# float64: bn.eval(); bn(BN1D_X_EVAL) using the running stats above
BN1D_EVAL_OUT = np.array(
    [
        [-0.880667793480807, 0.7862855768684053, 3.6047704434119563],
        [1.6721210184086581, 2.870374693170209, 3.8436291013451],
        [3.107490183459053, 1.5410412842926748, 3.2511843985975397],
        [0.5459464513801991, 2.2167540775397145, 3.908202439316527],
        [0.6460443722122181, 0.29749614710233996, 3.0106539390340683],
    ],
    dtype=np.float64,
)
# float32: bn(x) in training mode (batch stats, biased var)
BN1D_TRAIN_OUT_F32 = np.array(
    [
        [0.16515702, -0.057525273, -2.0562155],
        [-2.3611665, 0.5371674, 3.2841368],
        [1.1137389, -0.48266548, 0.80600953],
        [1.4822704, -0.7969767, -0.8339279],
    ],
    dtype=np.float32,
)
# float32: running_mean after that one step (from zeros)
BN1D_RUNNING_MEAN_F32 = np.array([0.110080004, 0.0849325, 0.2085825], dtype=np.float32)
# float32: running_var after that one step (from ones; unbiased batch var)
BN1D_RUNNING_VAR_F32 = np.array([1.0567604, 1.2198292, 0.91593724], dtype=np.float32)
# float32: num_batches_tracked after one step
BN1D_NUM_BATCHES_TRACKED_F32 = 1
# float32: bn.eval(); bn(BN1D_X_EVAL) using the running stats above
BN1D_EVAL_OUT_F32 = np.array(
    [
        [-0.8806677, 0.7862855, 3.6047702],
        [1.6721209, 2.8703747, 3.843629],
        [3.10749, 1.5410413, 3.2511842],
        [0.5459464, 2.216754, 3.9082022],
        [0.6460443, 0.29749617, 3.0106537],
    ],
    dtype=np.float32,
)

# ==============================================================================
# Scenario 1b: BatchNorm1d(3, momentum=None) -- cumulative moving average, float64
# ==============================================================================
# first batch, shape (4, 3)
BN1D_CUM_X1 = np.array(
    [[0.6342, 1.3076, -1.7146], [1.5472, 1.311, -2.427], [0.3547, 1.3106, -0.5065], [1.1794, -0.6972, -0.8914]],
    dtype=np.float64,
)
# second batch, shape (3, 3)
BN1D_CUM_X2 = np.array(
    [[2.8748, -0.4429, -0.4204], [0.5833, -0.3967, -0.352], [0.071, -0.4848, -1.6103]], dtype=np.float64
)
# third batch, shape (5, 3)
BN1D_CUM_X3 = np.array(
    [
        [0.1413, 0.3515, 0.2398],
        [1.2214, -0.7635, -2.4511],
        [1.819, 0.4209, -1.6313],
        [1.8614, 3.1485, -2.6317],
        [1.5903, 1.6917, -0.4195],
    ],
    dtype=np.float64,
)
# training output for batch 1 (gamma=BN1D_GAMMA, beta=BN1D_BETA)
BN1D_CUM_OUT1 = np.array(
    [
        [-0.8523616665063217, -0.48744547741923927, -0.5872196011966779],
        [2.0983677863494394, -0.48940167162105147, -2.504135952375733],
        [-1.755679171515287, -0.4891715311267206, 2.6635196518345063],
        [0.9096730516721682, 0.6660186801670113, 1.627835901737906],
    ],
    dtype=np.float64,
)
# running_mean after batch 1 (mean of the 1 batch means)
BN1D_CUM_RUNNING_MEAN1 = np.array([0.928875, 0.8079999999999999, -1.384875], dtype=np.float64)
# running_var after batch 1 (mean of the 1 UNBIASED batch variances)
BN1D_CUM_RUNNING_VAR1 = np.array([0.2871996225, 1.0069476533333332, 0.7366011025000002], dtype=np.float64)
# num_batches_tracked after batch 1
BN1D_CUM_NUM_BATCHES_TRACKED1 = 1
# training output for batch 2 (gamma=BN1D_GAMMA, beta=BN1D_BETA)
BN1D_CUM_OUT2 = np.array(
    [
        [2.1898602261158744, -0.18015853616855795, 1.5941450716085417],
        [-0.6297468871912084, -0.8196996726889854, 1.8309338087410185],
        [-1.2601133389246661, 0.39985820885754364, -2.525078880349562],
    ],
    dtype=np.float64,
)
# running_mean after batch 2 (mean of the 2 batch means)
BN1D_CUM_RUNNING_MEAN2 = np.array([1.0526208333333333, 0.18326666666666663, -1.0895541666666666], dtype=np.float64)
# running_var after batch 2 (mean of the 2 UNBIASED batch variances)
BN1D_CUM_RUNNING_VAR2 = np.array([1.2581596429166666, 0.5044447983333333, 0.6186221729166668], dtype=np.float64)
# num_batches_tracked after batch 2
BN1D_CUM_NUM_BATCHES_TRACKED2 = 2
# training output for batch 3 (gamma=BN1D_GAMMA, beta=BN1D_BETA)
BN1D_CUM_OUT3 = np.array(
    [
        [-2.701545620597241, 0.03100170173354355, 3.178488810018913],
        [-0.14882039762479346, 0.4475609225785771, -1.6070770873712943],
        [1.2635567834217156, 0.005074159198435625, -0.1491236432892059],
        [1.363765606173342, -1.0139455096597827, -1.9282607809565897],
        [0.7230436286269757, -0.4696912738507739, 2.005972701598175],
    ],
    dtype=np.float64,
)
# running_mean after batch 3 (mean of the 3 batch means)
BN1D_CUM_RUNNING_MEAN3 = np.array([1.143973888888889, 0.445451111111111, -1.185956111111111], dtype=np.float64)
# running_var after batch 3 (mean of the 3 UNBIASED batch variances)
BN1D_CUM_RUNNING_VAR3 = np.array([1.006607227611111, 1.0826122228888888, 0.9393701479444445], dtype=np.float64)
# num_batches_tracked after batch 3
BN1D_CUM_NUM_BATCHES_TRACKED3 = 3
# (check: BN1D_CUM_RUNNING_MEAN3 == mean of the three batch means, and BN1D_CUM_RUNNING_VAR3 == mean of the three UNBIASED batch variances;
#  the initial zeros/ones carry no weight -- PyTorch uses factor 1/num_batches_tracked.)

# ==============================================================================
# Scenario 2: BatchNorm2d(2) on NCHW input, float64, momentum=0.1 (minigrad 0.9), eps=1e-5
# ==============================================================================
# training input, shape (2, 2, 3, 3) = (N, C, H, W)
BN2D_X = np.array(
    [
        [
            [[1.9018, 0.9254, -0.6035], [4.1001, 0.4462, 1.7821], [2.2661, 1.1814, -1.4981]],
            [[-4.1079, -2.0552, -0.6319], [-3.4777, -2.5743, -1.5902], [-1.6502, -0.3228, -0.5549]],
        ],
        [
            [[0.2612, -0.3177, -0.5324], [-1.6109, 1.5675, 0.4955], [0.6695, -1.4174, 1.0512]],
            [[-0.8761, 1.2367, -2.0723], [1.2967, 2.1788, -1.0391], [-1.3091, -1.5006, -0.4287]],
        ],
    ],
    dtype=np.float64,
)
# eval input, shape (1, 2, 3, 3)
BN2D_X_EVAL = np.array(
    [
        [
            [[2.74, -0.0475, 0.6506], [-1.4825, -2.3277, 0.1606], [-0.0987, 1.2191, -2.3334]],
            [[0.4161, -1.7534, 1.7579], [0.7607, -0.9771, 0.7297], [0.891, 0.1179, 1.5439]],
        ]
    ],
    dtype=np.float64,
)
# bn.weight, per channel
BN2D_GAMMA = np.array([0.8, 1.7], dtype=np.float64)
# bn.bias, per channel
BN2D_BETA = np.array([-0.4, 0.25], dtype=np.float64)
# training output (stats over N, H, W per channel)
BN2D_TRAIN_OUT = np.array(
    [
        [
            [
                [0.33257830588490567, -0.2138056564306378, -1.0693632557590222],
                [1.5627256475054092, -0.4819613249492864, 0.26559534778456717],
                [0.536437049710748, -0.07055054136224458, -1.5699727320878683],
            ],
            [
                [-3.075928140018519, -0.8195800516823475, 0.7449253480978805],
                [-2.3832060835711792, -1.3901798922120434, -0.3084474648083181],
                [-0.3744000566630314, 1.0846911171360794, 0.8295645076447629],
            ],
        ],
        [
            [
                [-0.58548552919793, -0.9094323499521988, -1.029576385909949],
                [-1.633094517164879, 0.1455072708561406, -0.45437352349275595],
                [-0.35700481246970744, -1.5248137954237302, -0.14340919754156026],
            ],
            [
                [0.4764982992491967, 2.7989089004265066, -0.8383765403609404],
                [2.86486149228122, 3.8344745135319327, 0.29732709137722524],
                [0.0005404280310146113, -0.20995826097194586, 0.9682847925125101],
            ],
        ],
    ],
    dtype=np.float64,
)
# running_mean after one step
BN2D_RUNNING_MEAN = np.array([0.05926666666666666, -0.10821555555555558], dtype=np.float64)
# running_var after one step (unbiased, n-1 = 17)
BN2D_RUNNING_VAR = np.array([1.1164019090588235, 1.1532552030849672], dtype=np.float64)
# bn.eval(); bn(BN2D_X_EVAL)
BN2D_EVAL_OUT = np.array(
    [
        [
            [
                [1.6296977546209794, -0.4808376054817214, 0.0477237343883038],
                [-1.5673374231489412, -2.2072744586139827, -0.32327620335172247],
                [-0.5196033132619037, 0.47815937643974255, -2.2115901721754483],
            ],
            [
                [1.0799980457714031, -2.354347438014767, 3.204084134798498],
                [1.6255041318339585, -1.125454882558116, 1.5764307462624576],
                [1.8317706524780415, 0.60794373682232, 2.8653194731113625],
            ],
        ]
    ],
    dtype=np.float64,
)

# ==============================================================================
# Scenario 3: gradients of sum(dout * bn(x)) through BatchNorm1d(3), float64
# ==============================================================================
# input x, shape (4, 3); column 2 has variance ~2e-4
GRAD_X = np.array(
    [[1.1743, -0.6578, 0.9957], [0.9352, -1.7204, 0.9738], [-0.1697, -3.9798, 1.0102], [0.3052, 0.6709, 1.0117]],
    dtype=np.float64,
)
# gamma (bn.weight)
GRAD_GAMMA = np.array([1.3, -0.7, 0.9], dtype=np.float64)
# beta (bn.bias)
GRAD_BETA = np.array([0.05, 0.4, -0.3], dtype=np.float64)
# upstream gradient dout, shape (4, 3)
GRAD_DOUT = np.array(
    [[-0.0331, -0.0173, 0.4473], [2.3887, -0.2086, -0.4167], [0.1282, 0.7555, -0.2219], [-0.2799, 0.8337, 2.0486]],
    dtype=np.float64,
)
# running_mean set before the eval-mode case
GRAD_RUNNING_MEAN = np.array([0.3, -1.2, 0.99], dtype=np.float64)
# running_var set before the eval-mode case
GRAD_RUNNING_VAR = np.array([0.6, 2.5, 0.0004], dtype=np.float64)
# training mode, eps=1e-07: forward output
GRAD_TRAIN_EPS1E7_OUT = np.array(
    [
        [1.5591443976362411, 0.08590553955305741, -0.4270547196950219],
        [0.9705522347215929, 0.5227742507948143, -1.7212400040304003],
        [-1.749378676212724, 1.4516855684869145, 0.4298259480156132],
        [-0.5803179561451096, -0.4603653588347861, 0.5184687757098204],
    ],
    dtype=np.float64,
)
# training mode, eps=1e-07: dx
GRAD_TRAIN_EPS1E7_DX = np.array(
    [
        [-2.588999149035023, 0.14347556337435058, 3.744926963832641],
        [3.8217236813627413, 0.22735624514452554, 1.0808000602249237],
        [0.3318298751611468, -0.15789299934177545, -67.84337664698516],
        [-1.5645544074888664, -0.21293880917710067, 63.01764962292761],
    ],
    dtype=np.float64,
)
# training mode, eps=1e-07: dgamma
GRAD_TRAIN_EPS1E7_DGAMMA = np.array([1.6113200716555802, -0.08154996111605216, 2.277962099571503], dtype=np.float64)
# training mode, eps=1e-07: dbeta
GRAD_TRAIN_EPS1E7_DBETA = np.array([2.2039, 1.3633, 1.8573], dtype=np.float64)
# eval mode, eps=1e-07: forward output
GRAD_EVAL_EPS1E7_OUT = np.array(
    [
        [1.5173312582110294, 0.15995783217278206, -0.04353205648953024],
        [1.1160514871504588, 0.6303908966014096, -1.028908892082377],
        [-0.7382940546514017, 1.6306698969496507, 0.6088863963002512],
        [0.058727121746193996, -0.42828272185160854, 0.6763779603819555],
    ],
    dtype=np.float64,
)
# eval mode, eps=1e-07: dx
GRAD_EVAL_EPS1E7_DX = np.array(
    [
        [-0.05555148649981136, 0.007659036339747088, 20.125984409163454],
        [4.008937637525662, 0.09235115494053425, -18.749156501896742],
        [0.2151571168965504, -0.33447410142652745, -9.984252046486409],
        [-0.46975411091532326, -0.3690947165576386, 92.17547878518279],
    ],
    dtype=np.float64,
)
# eval mode, eps=1e-07: dgamma
GRAD_EVAL_EPS1E7_DGAMMA = np.array([1.8418511565588047, -0.27903570058590255, 2.4633116052915613], dtype=np.float64)
# eval mode, eps=1e-07: dbeta
GRAD_EVAL_EPS1E7_DBETA = np.array([2.2039, 1.3633, 1.8573], dtype=np.float64)
# training mode, eps=0.001: forward output
GRAD_TRAIN_EPS1E3_OUT = np.array(
    [
        [1.5564461951895325, 0.08595969481968634, -0.3551319530344832],
        [0.9689063774425021, 0.5227530824103814, -0.9167085909206308],
        [-1.7461615632881309, 1.451504239875483, 0.016688195337622135],
        [-0.5791910093439028, -0.4602170171055506, 0.05515234861749667],
    ],
    dtype=np.float64,
)
# training mode, eps=0.001: dx
GRAD_TRAIN_EPS1E3_DX = np.array(
    [
        [-2.5802649018827744, 0.1434521223265648, -0.04839555133460596],
        [3.8173950190039143, 0.22731653821413175, -18.249803800642027],
        [0.32634169281860154, -0.15787011729395622, -19.826444622199975],
        [-1.5634718099397422, -0.2128985432467403, 38.1246439741766],
    ],
    dtype=np.float64,
)
# training mode, eps=0.001: dgamma
GRAD_TRAIN_EPS1E3_DGAMMA = np.array([1.608439189106116, -0.08153590050549081, 0.9884599311963175], dtype=np.float64)
# training mode, eps=0.001: dbeta
GRAD_TRAIN_EPS1E3_DBETA = np.array([2.2039, 1.3633, 1.8573], dtype=np.float64)
# eval mode, eps=0.001: forward output
GRAD_EVAL_EPS1E3_OUT = np.array(
    [
        [1.516110130688626, 0.16000582140873315, -0.16289498289892482],
        [1.115164308605073, 0.6303448368478335, -0.689666890708314],
        [-0.7376380285765156, 1.6304238613943265, 0.18588093779678797],
        [0.05871985894953783, -0.4281171315499839, 0.22196120545496664],
    ],
    dtype=np.float64,
)
# eval mode, eps=0.001: dx
GRAD_EVAL_EPS1E3_DX = np.array(
    [
        [-0.05550525600571144, 0.007657505145018292, 10.759135815668467],
        [4.005601360146312, 0.09233269209542287, -10.023098355441652],
        [0.21497806102514225, -0.33440723335614564, -5.337474262233027],
        [-0.46936317691838775, -0.3690209271330492, 49.27602421636133],
    ],
    dtype=np.float64,
)
# eval mode, eps=0.001: dgamma
GRAD_EVAL_EPS1E3_DGAMMA = np.array([1.8403183498889688, -0.2789799157619468, 1.3168600143393352], dtype=np.float64)
# eval mode, eps=0.001: dbeta
GRAD_EVAL_EPS1E3_DBETA = np.array([2.2039, 1.3633, 1.8573], dtype=np.float64)

# ==============================================================================
# Scenario 4: PyTorch's error for a training-mode batch of one
# ==============================================================================
# exception type raised by BatchNorm1d(3).train()(zeros(1, 3))
BN1D_BATCH_OF_ONE_ERROR_TYPE = "ValueError"
# its exact message, str(exception)
BN1D_BATCH_OF_ONE_ERROR_MESSAGE = (
    "Expected more than 1 value per channel when training, got input size torch.Size([1, 3])"
)
# exception type raised by BatchNorm2d(2).train()(zeros(1, 2, 1, 1))
BN2D_BATCH_OF_ONE_ERROR_TYPE = "ValueError"
# its exact message, str(exception)
BN2D_BATCH_OF_ONE_ERROR_MESSAGE = (
    "Expected more than 1 value per channel when training, got input size torch.Size([1, 2, 1, 1])"
)
# (BatchNorm2d on shape (1, 2, 2, 1) -- one sample but 2 values per channel -- raises nothing.)

# ==============================================================================
# Scenario 5: optimisers with fixed gradients set directly on .grad
# ==============================================================================
# Adam learning rate
ADAM_LR = 0.001
# Adam eps; betas are the defaults (0.9, 0.999)
ADAM_EPS = 1e-08
# initial parameter, shape (3,), float32
ADAM_P0_F32 = np.array([0.5, -0.3, 0.1], dtype=np.float32)
# gradient for step t is row t-1 (6 steps)
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
# torch.optim.Adam: parameter after step t is row t-1 (paper form)
ADAM_PARAMS_F32 = np.array(
    [
        [0.49900004, -0.3009901, 0.100666665],
        [0.49859983, -0.3019249, 0.10082981],
        [0.49799678, -0.30251864, 0.10056362],
        [0.49726307, -0.30322266, 0.10045945],
        [0.49670705, -0.30402827, 0.10008028],
        [0.4960878, -0.30444047, 0.09965723],
    ],
    dtype=np.float32,
)
# initial parameter, shape (3,), float64
ADAM_P0_F64 = np.array([0.5, -0.3, 0.1], dtype=np.float64)
# gradient for step t is row t-1 (6 steps)
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
# torch.optim.Adam: parameter after step t is row t-1 (paper form)
ADAM_PARAMS_F64 = np.array(
    [
        [0.49900003333222226, -0.300990099009901, 0.10066666666666667],
        [0.4985998326613683, -0.30192489753211155, 0.10082980835489391],
        [0.49799677409110077, -0.30251862103927324, 0.10056361850479215],
        [0.4972630834030079, -0.30322264611166067, 0.10045944444487719],
        [0.49670706786697305, -0.30402825282961204, 0.10008027799326648],
        [0.4960877941706419, -0.30444045506805084, 0.09965722794113563],
    ],
    dtype=np.float64,
)
# SGD learning rate
SGD_LR = 0.1
# SGD momentum (PyTorch form: buf = m*buf + g, first buf = g; p -= lr*buf)
SGD_MOMENTUM = 0.9
# initial parameter, shape (3,), float32
SGD_P0_F32 = np.array([0.5, -0.3, 0.1], dtype=np.float32)
# gradient for step t is row t-1 (4 steps)
SGD_GRADS_F32 = np.array([[0.2, -1.0, 0.05], [-0.4, 0.5, 0.3], [0.1, 0.25, -0.6], [0.3, -0.75, 0.0]], dtype=np.float32)
# torch.optim.SGD(lr=0.1, momentum=0.9): parameter after step t is row t-1
SGD_PARAMS_F32 = np.array(
    [
        [0.48, -0.20000002, 0.095],
        [0.502, -0.16000003, 0.0605],
        [0.5118, -0.14900003, 0.08945],
        [0.49062, -0.064100035, 0.115505],
    ],
    dtype=np.float32,
)
# initial parameter, shape (3,), float64
SGD_P0_F64 = np.array([0.5, -0.3, 0.1], dtype=np.float64)
# gradient for step t is row t-1 (4 steps)
SGD_GRADS_F64 = np.array([[0.2, -1.0, 0.05], [-0.4, 0.5, 0.3], [0.1, 0.25, -0.6], [0.3, -0.75, 0.0]], dtype=np.float64)
# torch.optim.SGD(lr=0.1, momentum=0.9): parameter after step t is row t-1
SGD_PARAMS_F64 = np.array(
    [
        [0.48, -0.19999999999999998, 0.095],
        [0.502, -0.15999999999999998, 0.060500000000000005],
        [0.5118, -0.14899999999999997, 0.08945],
        [0.49062000000000006, -0.06409999999999995, 0.11550500000000001],
    ],
    dtype=np.float64,
)
