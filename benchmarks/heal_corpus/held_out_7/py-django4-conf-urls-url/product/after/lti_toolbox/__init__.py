"""A small LTI 1.1 toolbox: launch request signatures and launch views."""
