"""The change facet: its pure planner (``plugin``), its observer and its actuators."""
