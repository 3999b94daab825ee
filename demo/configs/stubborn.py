# Ignores SIGTERM and keeps going: Stop must still end it (SIGKILL after the grace period).
EVAL_NAME = "calc_stubborn"
SAMPLES = 3
DURATION = 3600
IGNORE_SIGTERM = True
