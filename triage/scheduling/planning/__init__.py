"""Planning: forecast demand, roster whole shifts with CP-SAT, simulate two weeks, report (not pure)."""
