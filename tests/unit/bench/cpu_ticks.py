"""What the CPU-time tests of the bench may expect of /proc's clock."""

#: CPU seconds a busy process burns when asked: a fixed amount of work, not a duration.
BURN_S = 0.3
#: One clock tick (/proc counts CPU time in ticks of 10 ms).
TICK_S = 0.01
#: How far short of ``BURN_S`` a reading, or a difference of two, may fall: user and system
#: time are each counted in whole ticks, rounded down, so two ticks; half a tick more keeps
#: float sums off the edge.
SHORT_S = 2.5 * TICK_S
