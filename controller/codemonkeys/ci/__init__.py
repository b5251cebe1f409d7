"""CI backends: where builds run and where their results live, shared by the build observer and the build
actuator so that neither reaches into the other.

* ``ci.local``: the embedded runner's results, kept in the state store;
* ``ci.jenkins``: a Jenkins server through python-jenkins (the ``[jenkins]`` extra).
"""
