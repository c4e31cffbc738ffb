"""Seed 000 (TF1 tf.layers network, one Adam step with the BN update ops) reproduced.

Produced with TensorFlow 2.21.0 (tensorflow-cpu) in TF1 graph mode:
tf.compat.v1.disable_v2_behavior(), tf.compat.v1.Session, tf.compat.v1.train.AdamOptimizer.
tf.compat.v1.layers.{dense,batch_normalization} are NOT available with Keras 3, so both
layers are rebuilt from raw tf.compat.v1 ops exactly as TF1's tf.layers did for 2-D input
(matmul; tf.nn.moments + tf.cond + tf.nn.batch_normalization(eps=1e-3); UPDATE_OPS
moving.assign_sub((moving - batch_stat) * (1 - momentum)), momentum 0.5). float32.
Kernels are constants (w1 = 4*0.3514931, several w2) instead of Glorot; see the generator.
Python 3.11.7, NumPy 2.4.6.

Generated file -- do not edit by hand. Re-create it from the repository root with

    /work/tfvenv/bin/python tests/reference/generate_tf1_seed000.py   # the TensorFlow venv
"""

import numpy as np

# tf.__version__
TF_VERSION = "2.21.0"
# x fed to the float32 placeholder
BATCH_X = np.array([[0.0], [1.0]], dtype=np.float32)
# y fed to the float32 placeholder
BATCH_Y = np.array([[3.0], [4.0]], dtype=np.float32)
# Adam learning rate (fed through the lx placeholder); beta1 0.9, beta2 0.999, eps 1e-8
LEARNING_RATE = 0.001
# momentum of both batch_normalization layers (fraction kept)
BN_MOMENTUM = 0.5
# epsilon of both batch_normalization layers (tf.layers default)
BN_EPSILON = 0.001
# hidden kernel initial value: 4 * float32(0.3514931)
W1_INIT = np.array([[1.4059724]], dtype=np.float32)
# output kernel initial values tried
W2_CANDIDATES = np.array([1.0, -1.0, 0.5, -0.3, -0.285, 0.06, 0.13, 2.0, -2.0, 0.1, -0.1], dtype=np.float32)
# seed 000's printout of w1_after (numpy default float32 formatting)
SEED_PRINTED_W1_AFTER = "[[1.404974]]"
# seed 000's printout of hidden_1 (numpy default float32 formatting)
SEED_PRINTED_HIDDEN_1 = "[[0.      ]\n [1.404974]]"
# seed 000's printout of bn_1 (numpy default float32 formatting)
SEED_PRINTED_BN_1 = "[[-0.40697935]\n [ 1.215785  ]]"
# seed 000's printout of bn_1x (numpy default float32 formatting)
SEED_PRINTED_BN_1X = "[[0.      ]\n [1.215785]]"
# seed 000's printout of bn1_moving_mean (numpy default float32 formatting)
SEED_PRINTED_BN1_MOVING_MEAN = "[0.3514931]"
# seed 000's printout of bn1_moving_var (numpy default float32 formatting)
SEED_PRINTED_BN1_MOVING_VAR = "[0.74709475]"
# seed 000's printout of bn1_gamma (numpy default float32 formatting)
SEED_PRINTED_BN1_GAMMA = "[0.999]"
# seed 000's printout of bn1_beta (numpy default float32 formatting)
SEED_PRINTED_BN1_BETA = "[-0.001]"

# ==============================================================================
# Per-w2 results (suffix _W2_<P|M><value with '_' for '.'>, e.g. _W2_M0_285 is w2=-0.285); float32
# ==============================================================================

# ---- w2 = 1.0: reproduces the seed's printout: False
# all eight printed items equal the seed's printout
REPRODUCES_SEED_W2_P1_0 = False
# printed items that differ from the seed ('' = none)
MISMATCHED_ITEMS_W2_P1_0 = "W1_AFTER, HIDDEN_1, BN_1, BN_1X, BN1_GAMMA, BN1_BETA"
# hidden kernel before the step
W1_BEFORE_W2_P1_0 = np.array([[1.4059724]], dtype=np.float32)
# output kernel before the step
W2_BEFORE_W2_P1_0 = np.array([[1.0]], dtype=np.float32)
# hidden_1 fetched in the training run itself (x @ PRE-update w1)
HIDDEN_1_SEEN_IN_STEP_W2_P1_0 = np.array([[0.0], [1.4059724]], dtype=np.float32)
# output dense (before BN) fetched in the training run
PREDX_SEEN_IN_STEP_W2_P1_0 = np.array([[0.0], [0.9989898]], dtype=np.float32)
# MSE cost in the training run (training=True batch stats, pre-update weights)
COST_BEFORE_W2_P1_0 = np.array(12.498006, dtype=np.float32)
# printed 'weight of hidden layer': hidden kernel AFTER the Adam step
W1_AFTER_W2_P1_0 = np.array([[1.4050249]], dtype=np.float32)
# printed hidden_1: x @ updated w1 (training=False)
HIDDEN_1_W2_P1_0 = np.array([[0.0], [1.4050249]], dtype=np.float32)
# printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)
BN_1_W2_P1_0 = np.array([[-0.40697935], [1.215844]], dtype=np.float32)
# printed bn_1x: relu(bn_1)
BN_1X_W2_P1_0 = np.array([[0.0], [1.215844]], dtype=np.float32)
# printed moving mean of hidden1's BN (fed the PRE-update batch mean)
BN1_MOVING_MEAN_W2_P1_0 = np.array([0.3514931], dtype=np.float32)
# printed moving variance of hidden1's BN (biased batch variance)
BN1_MOVING_VAR_W2_P1_0 = np.array([0.74709475], dtype=np.float32)
# printed gamma of hidden1's BN after the step
BN1_GAMMA_W2_P1_0 = np.array([0.9990001], dtype=np.float32)
# printed beta of hidden1's BN after the step
BN1_BETA_W2_P1_0 = np.array([-0.0009999205], dtype=np.float32)
# output BN moving mean after the step
BN2_MOVING_MEAN_W2_P1_0 = np.array([0.24974746], dtype=np.float32)
# output BN moving variance after the step
BN2_MOVING_VAR_W2_P1_0 = np.array([0.6247476], dtype=np.float32)
# output BN gamma after the step
BN2_GAMMA_W2_P1_0 = np.array([0.999], dtype=np.float32)
# output BN beta after the step
BN2_BETA_W2_P1_0 = np.array([0.0009999999], dtype=np.float32)
# output kernel after the step
W2_AFTER_W2_P1_0 = np.array([[0.9990001]], dtype=np.float32)
# network output after the step, training=False
PRED_INFERENCE_W2_P1_0 = np.array([[-0.31440386], [1.2195395]], dtype=np.float32)
# cost after the step, evaluated with training=True (no update ops run)
COST_AFTER_TRAINING_MODE_W2_P1_0 = np.array(12.490003, dtype=np.float32)

# ---- w2 = -1.0: reproduces the seed's printout: False
# all eight printed items equal the seed's printout
REPRODUCES_SEED_W2_M1_0 = False
# printed items that differ from the seed ('' = none)
MISMATCHED_ITEMS_W2_M1_0 = "W1_AFTER, HIDDEN_1, BN_1, BN_1X, BN1_BETA"
# hidden kernel before the step
W1_BEFORE_W2_M1_0 = np.array([[1.4059724]], dtype=np.float32)
# output kernel before the step
W2_BEFORE_W2_M1_0 = np.array([[-1.0]], dtype=np.float32)
# hidden_1 fetched in the training run itself (x @ PRE-update w1)
HIDDEN_1_SEEN_IN_STEP_W2_M1_0 = np.array([[0.0], [1.4059724]], dtype=np.float32)
# output dense (before BN) fetched in the training run
PREDX_SEEN_IN_STEP_W2_M1_0 = np.array([[0.0], [-0.9989898]], dtype=np.float32)
# MSE cost in the training run (training=True batch stats, pre-update weights)
COST_BEFORE_W2_M1_0 = np.array(14.49401, dtype=np.float32)
# printed 'weight of hidden layer': hidden kernel AFTER the Adam step
W1_AFTER_W2_M1_0 = np.array([[1.4049904]], dtype=np.float32)
# printed hidden_1: x @ updated w1 (training=False)
HIDDEN_1_W2_M1_0 = np.array([[0.0], [1.4049904]], dtype=np.float32)
# printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)
BN_1_W2_M1_0 = np.array([[-0.40697935], [1.215804]], dtype=np.float32)
# printed bn_1x: relu(bn_1)
BN_1X_W2_M1_0 = np.array([[0.0], [1.215804]], dtype=np.float32)
# printed moving mean of hidden1's BN (fed the PRE-update batch mean)
BN1_MOVING_MEAN_W2_M1_0 = np.array([0.3514931], dtype=np.float32)
# printed moving variance of hidden1's BN (biased batch variance)
BN1_MOVING_VAR_W2_M1_0 = np.array([0.74709475], dtype=np.float32)
# printed gamma of hidden1's BN after the step
BN1_GAMMA_W2_M1_0 = np.array([0.999], dtype=np.float32)
# printed beta of hidden1's BN after the step
BN1_BETA_W2_M1_0 = np.array([-0.0009999735], dtype=np.float32)
# output BN moving mean after the step
BN2_MOVING_MEAN_W2_M1_0 = np.array([-0.24974746], dtype=np.float32)
# output BN moving variance after the step
BN2_MOVING_VAR_W2_M1_0 = np.array([0.6247476], dtype=np.float32)
# output BN gamma after the step
BN2_GAMMA_W2_M1_0 = np.array([0.999], dtype=np.float32)
# output BN beta after the step
BN2_BETA_W2_M1_0 = np.array([0.0009999999], dtype=np.float32)
# output kernel after the step
W2_AFTER_W2_M1_0 = np.array([[-0.999]], dtype=np.float32)
# network output after the step, training=False
PRED_INFERENCE_W2_M1_0 = np.array([[0.31640384], [-1.2174888]], dtype=np.float32)
# cost after the step, evaluated with training=True (no update ops run)
COST_AFTER_TRAINING_MODE_W2_M1_0 = np.array(14.483987, dtype=np.float32)

# ---- w2 = 0.5: reproduces the seed's printout: False
# all eight printed items equal the seed's printout
REPRODUCES_SEED_W2_P0_5 = False
# printed items that differ from the seed ('' = none)
MISMATCHED_ITEMS_W2_P0_5 = "W1_AFTER, HIDDEN_1, BN_1, BN_1X, BN1_BETA"
# hidden kernel before the step
W1_BEFORE_W2_P0_5 = np.array([[1.4059724]], dtype=np.float32)
# output kernel before the step
W2_BEFORE_W2_P0_5 = np.array([[0.5]], dtype=np.float32)
# hidden_1 fetched in the training run itself (x @ PRE-update w1)
HIDDEN_1_SEEN_IN_STEP_W2_P0_5 = np.array([[0.0], [1.4059724]], dtype=np.float32)
# output dense (before BN) fetched in the training run
PREDX_SEEN_IN_STEP_W2_P0_5 = np.array([[0.0], [0.4994949]], dtype=np.float32)
# MSE cost in the training run (training=True batch stats, pre-update weights)
COST_BEFORE_W2_P0_5 = np.array(12.492142, dtype=np.float32)
# printed 'weight of hidden layer': hidden kernel AFTER the Adam step
W1_AFTER_W2_P0_5 = np.array([[1.4049865]], dtype=np.float32)
# printed hidden_1: x @ updated w1 (training=False)
HIDDEN_1_W2_P0_5 = np.array([[0.0], [1.4049865]], dtype=np.float32)
# printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)
BN_1_W2_P0_5 = np.array([[-0.40697935], [1.2157995]], dtype=np.float32)
# printed bn_1x: relu(bn_1)
BN_1X_W2_P0_5 = np.array([[0.0], [1.2157995]], dtype=np.float32)
# printed moving mean of hidden1's BN (fed the PRE-update batch mean)
BN1_MOVING_MEAN_W2_P0_5 = np.array([0.3514931], dtype=np.float32)
# printed moving variance of hidden1's BN (biased batch variance)
BN1_MOVING_VAR_W2_P0_5 = np.array([0.74709475], dtype=np.float32)
# printed gamma of hidden1's BN after the step
BN1_GAMMA_W2_P0_5 = np.array([0.999], dtype=np.float32)
# printed beta of hidden1's BN after the step
BN1_BETA_W2_P0_5 = np.array([-0.0009999794], dtype=np.float32)
# output BN moving mean after the step
BN2_MOVING_MEAN_W2_P0_5 = np.array([0.12487373], dtype=np.float32)
# output BN moving variance after the step
BN2_MOVING_VAR_W2_P0_5 = np.array([0.53118694], dtype=np.float32)
# output BN gamma after the step
BN2_GAMMA_W2_P0_5 = np.array([0.999], dtype=np.float32)
# output BN beta after the step
BN2_BETA_W2_P0_5 = np.array([0.0009999999], dtype=np.float32)
# output kernel after the step
W2_AFTER_W2_P0_5 = np.array([[0.499]], dtype=np.float32)
# network output after the step, training=False
PRED_INFERENCE_W2_P0_5 = np.array([[-0.1700033], [0.6607956]], dtype=np.float32)
# cost after the step, evaluated with training=True (no update ops run)
COST_AFTER_TRAINING_MODE_W2_P0_5 = np.array(12.484106, dtype=np.float32)

# ---- w2 = -0.3: reproduces the seed's printout: False
# all eight printed items equal the seed's printout
REPRODUCES_SEED_W2_M0_3 = False
# printed items that differ from the seed ('' = none)
MISMATCHED_ITEMS_W2_M0_3 = "W1_AFTER, HIDDEN_1, BN_1, BN_1X"
# hidden kernel before the step
W1_BEFORE_W2_M0_3 = np.array([[1.4059724]], dtype=np.float32)
# output kernel before the step
W2_BEFORE_W2_M0_3 = np.array([[-0.3]], dtype=np.float32)
# hidden_1 fetched in the training run itself (x @ PRE-update w1)
HIDDEN_1_SEEN_IN_STEP_W2_M0_3 = np.array([[0.0], [1.4059724]], dtype=np.float32)
# output dense (before BN) fetched in the training run
PREDX_SEEN_IN_STEP_W2_M0_3 = np.array([[0.0], [-0.29969695]], dtype=np.float32)
# MSE cost in the training run (training=True batch stats, pre-update weights)
COST_BEFORE_W2_M0_3 = np.array(14.435813, dtype=np.float32)
# printed 'weight of hidden layer': hidden kernel AFTER the Adam step
W1_AFTER_W2_M0_3 = np.array([[1.4049741]], dtype=np.float32)
# printed hidden_1: x @ updated w1 (training=False)
HIDDEN_1_W2_M0_3 = np.array([[0.0], [1.4049741]], dtype=np.float32)
# printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)
BN_1_W2_M0_3 = np.array([[-0.40697935], [1.2157851]], dtype=np.float32)
# printed bn_1x: relu(bn_1)
BN_1X_W2_M0_3 = np.array([[0.0], [1.2157851]], dtype=np.float32)
# printed moving mean of hidden1's BN (fed the PRE-update batch mean)
BN1_MOVING_MEAN_W2_M0_3 = np.array([0.3514931], dtype=np.float32)
# printed moving variance of hidden1's BN (biased batch variance)
BN1_MOVING_VAR_W2_M0_3 = np.array([0.74709475], dtype=np.float32)
# printed gamma of hidden1's BN after the step
BN1_GAMMA_W2_M0_3 = np.array([0.999], dtype=np.float32)
# printed beta of hidden1's BN after the step
BN1_BETA_W2_M0_3 = np.array([-0.0009999975], dtype=np.float32)
# output BN moving mean after the step
BN2_MOVING_MEAN_W2_M0_3 = np.array([-0.07492424], dtype=np.float32)
# output BN moving variance after the step
BN2_MOVING_VAR_W2_M0_3 = np.array([0.51122725], dtype=np.float32)
# output BN gamma after the step
BN2_GAMMA_W2_M0_3 = np.array([0.999], dtype=np.float32)
# output BN beta after the step
BN2_BETA_W2_M0_3 = np.array([0.0009999999], dtype=np.float32)
# output kernel after the step
W2_AFTER_W2_M0_3 = np.array([[-0.29900002]], dtype=np.float32)
# network output after the step, training=False
PRED_INFERENCE_W2_M0_3 = np.array([[0.105581895], [-0.40183187]], dtype=np.float32)
# cost after the step, evaluated with training=True (no update ops run)
COST_AFTER_TRAINING_MODE_W2_M0_3 = np.array(14.425262, dtype=np.float32)

# ---- w2 = -0.285: reproduces the seed's printout: True
# all eight printed items equal the seed's printout
REPRODUCES_SEED_W2_M0_285 = True
# printed items that differ from the seed ('' = none)
MISMATCHED_ITEMS_W2_M0_285 = ""
# hidden kernel before the step
W1_BEFORE_W2_M0_285 = np.array([[1.4059724]], dtype=np.float32)
# output kernel before the step
W2_BEFORE_W2_M0_285 = np.array([[-0.285]], dtype=np.float32)
# hidden_1 fetched in the training run itself (x @ PRE-update w1)
HIDDEN_1_SEEN_IN_STEP_W2_M0_285 = np.array([[0.0], [1.4059724]], dtype=np.float32)
# output dense (before BN) fetched in the training run
PREDX_SEEN_IN_STEP_W2_M0_285 = np.array([[0.0], [-0.2847121]], dtype=np.float32)
# MSE cost in the training run (training=True batch stats, pre-update weights)
COST_BEFORE_W2_M0_285 = np.array(14.429179, dtype=np.float32)
# printed 'weight of hidden layer': hidden kernel AFTER the Adam step
W1_AFTER_W2_M0_285 = np.array([[1.404974]], dtype=np.float32)
# printed hidden_1: x @ updated w1 (training=False)
HIDDEN_1_W2_M0_285 = np.array([[0.0], [1.404974]], dtype=np.float32)
# printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)
BN_1_W2_M0_285 = np.array([[-0.40697935], [1.215785]], dtype=np.float32)
# printed bn_1x: relu(bn_1)
BN_1X_W2_M0_285 = np.array([[0.0], [1.215785]], dtype=np.float32)
# printed moving mean of hidden1's BN (fed the PRE-update batch mean)
BN1_MOVING_MEAN_W2_M0_285 = np.array([0.3514931], dtype=np.float32)
# printed moving variance of hidden1's BN (biased batch variance)
BN1_MOVING_VAR_W2_M0_285 = np.array([0.74709475], dtype=np.float32)
# printed gamma of hidden1's BN after the step
BN1_GAMMA_W2_M0_285 = np.array([0.999], dtype=np.float32)
# printed beta of hidden1's BN after the step
BN1_BETA_W2_M0_285 = np.array([-0.0009999978], dtype=np.float32)
# output BN moving mean after the step
BN2_MOVING_MEAN_W2_M0_285 = np.array([-0.07117803], dtype=np.float32)
# output BN moving variance after the step
BN2_MOVING_VAR_W2_M0_285 = np.array([0.5101326], dtype=np.float32)
# output BN gamma after the step
BN2_GAMMA_W2_M0_285 = np.array([0.999], dtype=np.float32)
# output BN beta after the step
BN2_BETA_W2_M0_285 = np.array([0.0009999999], dtype=np.float32)
# output kernel after the step
W2_AFTER_W2_M0_285 = np.array([[-0.284]], dtype=np.float32)
# network output after the step, training=False
PRED_INFERENCE_W2_M0_285 = np.array([[0.100459136], [-0.38201484]], dtype=np.float32)
# cost after the step, evaluated with training=True (no update ops run)
COST_AFTER_TRAINING_MODE_W2_M0_285 = np.array(14.41855, dtype=np.float32)

# ---- w2 = 0.06: reproduces the seed's printout: True
# all eight printed items equal the seed's printout
REPRODUCES_SEED_W2_P0_06 = True
# printed items that differ from the seed ('' = none)
MISMATCHED_ITEMS_W2_P0_06 = ""
# hidden kernel before the step
W1_BEFORE_W2_P0_06 = np.array([[1.4059724]], dtype=np.float32)
# output kernel before the step
W2_BEFORE_W2_P0_06 = np.array([[0.06]], dtype=np.float32)
# hidden_1 fetched in the training run itself (x @ PRE-update w1)
HIDDEN_1_SEEN_IN_STEP_W2_P0_06 = np.array([[0.0], [1.4059724]], dtype=np.float32)
# output dense (before BN) fetched in the training run
PREDX_SEEN_IN_STEP_W2_P0_06 = np.array([[0.0], [0.05993939]], dtype=np.float32)
# MSE cost in the training run (training=True batch stats, pre-update weights)
COST_BEFORE_W2_P0_06 = np.array(12.285299, dtype=np.float32)
# printed 'weight of hidden layer': hidden kernel AFTER the Adam step
W1_AFTER_W2_P0_06 = np.array([[1.404974]], dtype=np.float32)
# printed hidden_1: x @ updated w1 (training=False)
HIDDEN_1_W2_P0_06 = np.array([[0.0], [1.404974]], dtype=np.float32)
# printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)
BN_1_W2_P0_06 = np.array([[-0.40697935], [1.215785]], dtype=np.float32)
# printed bn_1x: relu(bn_1)
BN_1X_W2_P0_06 = np.array([[0.0], [1.215785]], dtype=np.float32)
# printed moving mean of hidden1's BN (fed the PRE-update batch mean)
BN1_MOVING_MEAN_W2_P0_06 = np.array([0.3514931], dtype=np.float32)
# printed moving variance of hidden1's BN (biased batch variance)
BN1_MOVING_VAR_W2_P0_06 = np.array([0.74709475], dtype=np.float32)
# printed gamma of hidden1's BN after the step
BN1_GAMMA_W2_P0_06 = np.array([0.999], dtype=np.float32)
# printed beta of hidden1's BN after the step
BN1_BETA_W2_P0_06 = np.array([-0.0009999978], dtype=np.float32)
# output BN moving mean after the step
BN2_MOVING_MEAN_W2_P0_06 = np.array([0.014984847], dtype=np.float32)
# output BN moving variance after the step
BN2_MOVING_VAR_W2_P0_06 = np.array([0.50044906], dtype=np.float32)
# output BN gamma after the step
BN2_GAMMA_W2_P0_06 = np.array([0.999], dtype=np.float32)
# output BN beta after the step
BN2_BETA_W2_P0_06 = np.array([0.0009999999], dtype=np.float32)
# output kernel after the step
W2_AFTER_W2_P0_06 = np.array([[0.059]], dtype=np.float32)
# network output after the step, training=False
PRED_INFERENCE_W2_P0_06 = np.array([[-0.020139972], [0.081055455]], dtype=np.float32)
# cost after the step, evaluated with training=True (no update ops run)
COST_AFTER_TRAINING_MODE_W2_P0_06 = np.array(12.27553, dtype=np.float32)

# ---- w2 = 0.13: reproduces the seed's printout: True
# all eight printed items equal the seed's printout
REPRODUCES_SEED_W2_P0_13 = True
# printed items that differ from the seed ('' = none)
MISMATCHED_ITEMS_W2_P0_13 = ""
# hidden kernel before the step
W1_BEFORE_W2_P0_13 = np.array([[1.4059724]], dtype=np.float32)
# output kernel before the step
W2_BEFORE_W2_P0_13 = np.array([[0.13]], dtype=np.float32)
# hidden_1 fetched in the training run itself (x @ PRE-update w1)
HIDDEN_1_SEEN_IN_STEP_W2_P0_13 = np.array([[0.0], [1.4059724]], dtype=np.float32)
# output dense (before BN) fetched in the training run
PREDX_SEEN_IN_STEP_W2_P0_13 = np.array([[0.0], [0.12986867]], dtype=np.float32)
# MSE cost in the training run (training=True batch stats, pre-update weights)
COST_BEFORE_W2_P0_13 = np.array(12.409245, dtype=np.float32)
# printed 'weight of hidden layer': hidden kernel AFTER the Adam step
W1_AFTER_W2_P0_13 = np.array([[1.404974]], dtype=np.float32)
# printed hidden_1: x @ updated w1 (training=False)
HIDDEN_1_W2_P0_13 = np.array([[0.0], [1.404974]], dtype=np.float32)
# printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)
BN_1_W2_P0_13 = np.array([[-0.40697935], [1.215785]], dtype=np.float32)
# printed bn_1x: relu(bn_1)
BN_1X_W2_P0_13 = np.array([[0.0], [1.215785]], dtype=np.float32)
# printed moving mean of hidden1's BN (fed the PRE-update batch mean)
BN1_MOVING_MEAN_W2_P0_13 = np.array([0.3514931], dtype=np.float32)
# printed moving variance of hidden1's BN (biased batch variance)
BN1_MOVING_VAR_W2_P0_13 = np.array([0.74709475], dtype=np.float32)
# printed gamma of hidden1's BN after the step
BN1_GAMMA_W2_P0_13 = np.array([0.999], dtype=np.float32)
# printed beta of hidden1's BN after the step
BN1_BETA_W2_P0_13 = np.array([-0.0009999977], dtype=np.float32)
# output BN moving mean after the step
BN2_MOVING_MEAN_W2_P0_13 = np.array([0.032467168], dtype=np.float32)
# output BN moving variance after the step
BN2_MOVING_VAR_W2_P0_13 = np.array([0.5021082], dtype=np.float32)
# output BN gamma after the step
BN2_GAMMA_W2_P0_13 = np.array([0.999], dtype=np.float32)
# output BN beta after the step
BN2_BETA_W2_P0_13 = np.array([0.0009999999], dtype=np.float32)
# output kernel after the step
W2_AFTER_W2_P0_13 = np.array([[0.129]], dtype=np.float32)
# network output after the step, training=False
PRED_INFERENCE_W2_P0_13 = np.array([[-0.044727683], [0.17616495]], dtype=np.float32)
# cost after the step, evaluated with training=True (no update ops run)
COST_AFTER_TRAINING_MODE_W2_P0_13 = np.array(12.400188, dtype=np.float32)

# ---- w2 = 2.0: reproduces the seed's printout: False
# all eight printed items equal the seed's printout
REPRODUCES_SEED_W2_P2_0 = False
# printed items that differ from the seed ('' = none)
MISMATCHED_ITEMS_W2_P2_0 = "W1_AFTER, HIDDEN_1, BN_1, BN_1X, BN1_GAMMA, BN1_BETA"
# hidden kernel before the step
W1_BEFORE_W2_P2_0 = np.array([[1.4059724]], dtype=np.float32)
# output kernel before the step
W2_BEFORE_W2_P2_0 = np.array([[2.0]], dtype=np.float32)
# hidden_1 fetched in the training run itself (x @ PRE-update w1)
HIDDEN_1_SEEN_IN_STEP_W2_P2_0 = np.array([[0.0], [1.4059724]], dtype=np.float32)
# output dense (before BN) fetched in the training run
PREDX_SEEN_IN_STEP_W2_P2_0 = np.array([[0.0], [1.9979796]], dtype=np.float32)
# MSE cost in the training run (training=True batch stats, pre-update weights)
COST_BEFORE_W2_P2_0 = np.array(12.499499, dtype=np.float32)
# printed 'weight of hidden layer': hidden kernel AFTER the Adam step
W1_AFTER_W2_P2_0 = np.array([[1.4051529]], dtype=np.float32)
# printed hidden_1: x @ updated w1 (training=False)
HIDDEN_1_W2_P2_0 = np.array([[0.0], [1.4051529]], dtype=np.float32)
# printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)
BN_1_W2_P2_0 = np.array([[-0.40697917], [1.2159923]], dtype=np.float32)
# printed bn_1x: relu(bn_1)
BN_1X_W2_P2_0 = np.array([[0.0], [1.2159923]], dtype=np.float32)
# printed moving mean of hidden1's BN (fed the PRE-update batch mean)
BN1_MOVING_MEAN_W2_P2_0 = np.array([0.3514931], dtype=np.float32)
# printed moving variance of hidden1's BN (biased batch variance)
BN1_MOVING_VAR_W2_P2_0 = np.array([0.74709475], dtype=np.float32)
# printed gamma of hidden1's BN after the step
BN1_GAMMA_W2_P2_0 = np.array([0.9990003], dtype=np.float32)
# printed beta of hidden1's BN after the step
BN1_BETA_W2_P2_0 = np.array([-0.0009996839], dtype=np.float32)
# output BN moving mean after the step
BN2_MOVING_MEAN_W2_P2_0 = np.array([0.4994949], dtype=np.float32)
# output BN moving variance after the step
BN2_MOVING_VAR_W2_P2_0 = np.array([0.9989903], dtype=np.float32)
# output BN gamma after the step
BN2_GAMMA_W2_P2_0 = np.array([0.999], dtype=np.float32)
# output BN beta after the step
BN2_BETA_W2_P2_0 = np.array([0.0009999999], dtype=np.float32)
# output kernel after the step
W2_AFTER_W2_P2_0 = np.array([[1.9990007]], dtype=np.float32)
# network output after the step, training=False
PRED_INFERENCE_W2_P2_0 = np.array([[-0.49799788], [1.9303528]], dtype=np.float32)
# cost after the step, evaluated with training=True (no update ops run)
COST_AFTER_TRAINING_MODE_W2_P2_0 = np.array(12.491501, dtype=np.float32)

# ---- w2 = -2.0: reproduces the seed's printout: False
# all eight printed items equal the seed's printout
REPRODUCES_SEED_W2_M2_0 = False
# printed items that differ from the seed ('' = none)
MISMATCHED_ITEMS_W2_M2_0 = "W1_AFTER, HIDDEN_1, BN_1, BN_1X, BN1_GAMMA, BN1_BETA"
# hidden kernel before the step
W1_BEFORE_W2_M2_0 = np.array([[1.4059724]], dtype=np.float32)
# output kernel before the step
W2_BEFORE_W2_M2_0 = np.array([[-2.0]], dtype=np.float32)
# hidden_1 fetched in the training run itself (x @ PRE-update w1)
HIDDEN_1_SEEN_IN_STEP_W2_M2_0 = np.array([[0.0], [1.4059724]], dtype=np.float32)
# output dense (before BN) fetched in the training run
PREDX_SEEN_IN_STEP_W2_M2_0 = np.array([[0.0], [-1.9979796]], dtype=np.float32)
# MSE cost in the training run (training=True batch stats, pre-update weights)
COST_BEFORE_W2_M2_0 = np.array(14.498498, dtype=np.float32)
# printed 'weight of hidden layer': hidden kernel AFTER the Adam step
W1_AFTER_W2_M2_0 = np.array([[1.4050407]], dtype=np.float32)
# printed hidden_1: x @ updated w1 (training=False)
HIDDEN_1_W2_M2_0 = np.array([[0.0], [1.4050407]], dtype=np.float32)
# printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)
BN_1_W2_M2_0 = np.array([[-0.40697935], [1.2158625]], dtype=np.float32)
# printed bn_1x: relu(bn_1)
BN_1X_W2_M2_0 = np.array([[0.0], [1.2158625]], dtype=np.float32)
# printed moving mean of hidden1's BN (fed the PRE-update batch mean)
BN1_MOVING_MEAN_W2_M2_0 = np.array([0.3514931], dtype=np.float32)
# printed moving variance of hidden1's BN (biased batch variance)
BN1_MOVING_VAR_W2_M2_0 = np.array([0.74709475], dtype=np.float32)
# printed gamma of hidden1's BN after the step
BN1_GAMMA_W2_M2_0 = np.array([0.99900013], dtype=np.float32)
# printed beta of hidden1's BN after the step
BN1_BETA_W2_M2_0 = np.array([-0.0009998947], dtype=np.float32)
# output BN moving mean after the step
BN2_MOVING_MEAN_W2_M2_0 = np.array([-0.4994949], dtype=np.float32)
# output BN moving variance after the step
BN2_MOVING_VAR_W2_M2_0 = np.array([0.9989903], dtype=np.float32)
# output BN gamma after the step
BN2_GAMMA_W2_M2_0 = np.array([0.999], dtype=np.float32)
# output BN beta after the step
BN2_BETA_W2_M2_0 = np.array([0.0009999999], dtype=np.float32)
# output kernel after the step
W2_AFTER_W2_M2_0 = np.array([[-1.9990002]], dtype=np.float32)
# network output after the step, training=False
PRED_INFERENCE_W2_M2_0 = np.array([[0.49999785], [-1.928093]], dtype=np.float32)
# cost after the step, evaluated with training=True (no update ops run)
COST_AFTER_TRAINING_MODE_W2_M2_0 = np.array(14.488496, dtype=np.float32)

# ---- w2 = 0.1: reproduces the seed's printout: False
# all eight printed items equal the seed's printout
REPRODUCES_SEED_W2_P0_1 = False
# printed items that differ from the seed ('' = none)
MISMATCHED_ITEMS_W2_P0_1 = "W1_AFTER, HIDDEN_1, BN_1, BN_1X"
# hidden kernel before the step
W1_BEFORE_W2_P0_1 = np.array([[1.4059724]], dtype=np.float32)
# output kernel before the step
W2_BEFORE_W2_P0_1 = np.array([[0.1]], dtype=np.float32)
# hidden_1 fetched in the training run itself (x @ PRE-update w1)
HIDDEN_1_SEEN_IN_STEP_W2_P0_1 = np.array([[0.0], [1.4059724]], dtype=np.float32)
# output dense (before BN) fetched in the training run
PREDX_SEEN_IN_STEP_W2_P0_1 = np.array([[0.0], [0.09989899]], dtype=np.float32)
# MSE cost in the training run (training=True batch stats, pre-update weights)
COST_BEFORE_W2_P0_1 = np.array(12.368963, dtype=np.float32)
# printed 'weight of hidden layer': hidden kernel AFTER the Adam step
W1_AFTER_W2_P0_1 = np.array([[1.4049736]], dtype=np.float32)
# printed hidden_1: x @ updated w1 (training=False)
HIDDEN_1_W2_P0_1 = np.array([[0.0], [1.4049736]], dtype=np.float32)
# printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)
BN_1_W2_P0_1 = np.array([[-0.40697935], [1.2157845]], dtype=np.float32)
# printed bn_1x: relu(bn_1)
BN_1X_W2_P0_1 = np.array([[0.0], [1.2157845]], dtype=np.float32)
# printed moving mean of hidden1's BN (fed the PRE-update batch mean)
BN1_MOVING_MEAN_W2_P0_1 = np.array([0.3514931], dtype=np.float32)
# printed moving variance of hidden1's BN (biased batch variance)
BN1_MOVING_VAR_W2_P0_1 = np.array([0.74709475], dtype=np.float32)
# printed gamma of hidden1's BN after the step
BN1_GAMMA_W2_P0_1 = np.array([0.999], dtype=np.float32)
# printed beta of hidden1's BN after the step
BN1_BETA_W2_P0_1 = np.array([-0.0009999981], dtype=np.float32)
# output BN moving mean after the step
BN2_MOVING_MEAN_W2_P0_1 = np.array([0.024974747], dtype=np.float32)
# output BN moving variance after the step
BN2_MOVING_VAR_W2_P0_1 = np.array([0.50124747], dtype=np.float32)
# output BN gamma after the step
BN2_GAMMA_W2_P0_1 = np.array([0.999], dtype=np.float32)
# output BN beta after the step
BN2_BETA_W2_P0_1 = np.array([0.0009999999], dtype=np.float32)
# output kernel after the step
W2_AFTER_W2_P0_1 = np.array([[0.099]], dtype=np.float32)
# network output after the step, training=False
PRED_INFERENCE_W2_P0_1 = np.array([[-0.034205273], [0.13546214]], dtype=np.float32)
# cost after the step, evaluated with training=True (no update ops run)
COST_AFTER_TRAINING_MODE_W2_P0_1 = np.array(12.359373, dtype=np.float32)

# ---- w2 = -0.1: reproduces the seed's printout: False
# all eight printed items equal the seed's printout
REPRODUCES_SEED_W2_M0_1 = False
# printed items that differ from the seed ('' = none)
MISMATCHED_ITEMS_W2_M0_1 = "W1_AFTER, HIDDEN_1, BN_1, BN_1X"
# hidden kernel before the step
W1_BEFORE_W2_M0_1 = np.array([[1.4059724]], dtype=np.float32)
# output kernel before the step
W2_BEFORE_W2_M0_1 = np.array([[-0.1]], dtype=np.float32)
# hidden_1 fetched in the training run itself (x @ PRE-update w1)
HIDDEN_1_SEEN_IN_STEP_W2_M0_1 = np.array([[0.0], [1.4059724]], dtype=np.float32)
# output dense (before BN) fetched in the training run
PREDX_SEEN_IN_STEP_W2_M0_1 = np.array([[0.0], [-0.09989899]], dtype=np.float32)
# MSE cost in the training run (training=True batch stats, pre-update weights)
COST_BEFORE_W2_M0_1 = np.array(14.058784, dtype=np.float32)
# printed 'weight of hidden layer': hidden kernel AFTER the Adam step
W1_AFTER_W2_M0_1 = np.array([[1.4049727]], dtype=np.float32)
# printed hidden_1: x @ updated w1 (training=False)
HIDDEN_1_W2_M0_1 = np.array([[0.0], [1.4049727]], dtype=np.float32)
# printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)
BN_1_W2_M0_1 = np.array([[-0.40697935], [1.2157835]], dtype=np.float32)
# printed bn_1x: relu(bn_1)
BN_1X_W2_M0_1 = np.array([[0.0], [1.2157835]], dtype=np.float32)
# printed moving mean of hidden1's BN (fed the PRE-update batch mean)
BN1_MOVING_MEAN_W2_M0_1 = np.array([0.3514931], dtype=np.float32)
# printed moving variance of hidden1's BN (biased batch variance)
BN1_MOVING_VAR_W2_M0_1 = np.array([0.74709475], dtype=np.float32)
# printed gamma of hidden1's BN after the step
BN1_GAMMA_W2_M0_1 = np.array([0.999], dtype=np.float32)
# printed beta of hidden1's BN after the step
BN1_BETA_W2_M0_1 = np.array([-0.0009999996], dtype=np.float32)
# output BN moving mean after the step
BN2_MOVING_MEAN_W2_M0_1 = np.array([-0.024974747], dtype=np.float32)
# output BN moving variance after the step
BN2_MOVING_VAR_W2_M0_1 = np.array([0.50124747], dtype=np.float32)
# output BN gamma after the step
BN2_GAMMA_W2_M0_1 = np.array([0.999], dtype=np.float32)
# output BN beta after the step
BN2_BETA_W2_M0_1 = np.array([0.0009999999], dtype=np.float32)
# output kernel after the step
W2_AFTER_W2_M0_1 = np.array([[-0.099]], dtype=np.float32)
# network output after the step, training=False
PRED_INFERENCE_W2_M0_1 = np.array([[0.03620527], [-0.13346198]], dtype=np.float32)
# cost after the step, evaluated with training=True (no update ops run)
COST_AFTER_TRAINING_MODE_W2_M0_1 = np.array(14.04164, dtype=np.float32)

# ==============================================================================
# Summary
# ==============================================================================
# w2 candidates above whose run prints exactly the seed's values (all eight printed items)
W2_REPRODUCING = np.array([-0.285, 0.06, 0.13], dtype=np.float32)
# scan of w2: start, stop, step (grid = start + k*step, each value cast to float32)
W2_SCAN = np.array([-1.75, 1.75, 0.0005], dtype=np.float64)
# rows [first, last] of runs of consecutive grid points that reproduce the whole printout
W2_SCAN_REPRODUCING_INTERVALS = np.array(
    [[-0.2905, -0.2795], [-0.007, -0.007], [0.0585, 0.061], [0.1275, 0.1365]], dtype=np.float64
)
# True: in the single sess.run the BN update read hidden_1 computed from the PRE-update w1
MOVING_AVERAGE_SAW_PRE_UPDATE_WEIGHTS = True
