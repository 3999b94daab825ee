# Hidden (starts with "_"): shared settings other configs may copy.
DELAY = 0.05
