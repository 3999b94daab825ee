# A million lines as fast as Python can print them: the log view must stay smooth.
FLOOD_LINES = 1_000_000
