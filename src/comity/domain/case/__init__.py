"""The case workflow's pure core: one case per demand, its state machine, holds, notices and
court events. The integrator's entry point is ``comity.domain.workflow``, which re-exports the
public functions and types."""
