# A quick evaluation: 6 samples, one provider error.
EVAL_NAME = "calc_quick"
SAMPLES = 6
DELAY = 0.05
