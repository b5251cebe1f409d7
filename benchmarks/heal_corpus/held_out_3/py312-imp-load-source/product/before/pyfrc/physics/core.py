"""
    The physics interface lets a robot project simulate its mechanisms.

    A robot project that wants simulated physics puts a ``physics.py`` next to
    its robot code, with a ``PhysicsEngine`` class in it. The class is given
    this interface when it is created, and its ``update_sim(now, tm_diff)`` is
    called on every step of the simulation loop.
"""

import imp
import inspect
import logging
import pathlib
import typing

logger = logging.getLogger("pyfrc.physics")


class PhysicsInitException(Exception):
    pass


class PhysicsInterface:
    """The interface handed to a robot project's physics engine."""

    def __init__(self, robot_path: pathlib.Path, fake_time: typing.Optional[float] = None):
        self.robot_path = pathlib.Path(robot_path)
        self.now = fake_time or 0.0
        self.engine = None
        self.log = []

        physics_module_path = self.robot_path / "physics.py"
        if physics_module_path.exists():
            # Load the user's physics module if it exists
            try:
                physics_module = imp.load_source("physics", str(physics_module_path))
            except:
                logger.exception("Error loading user physics module")
                raise PhysicsInitException()

            if not hasattr(physics_module, "PhysicsEngine"):
                logger.error("physics module does not have a PhysicsEngine object")
                raise PhysicsInitException()

            engine_cls = physics_module.PhysicsEngine
            if not inspect.isclass(engine_cls):
                raise PhysicsInitException("PhysicsEngine must be a class")
            self.engine = engine_cls(self)
            logger.info("Physics support successfully enabled")
        else:
            logger.warning("Cannot enable physics support, %s not found", physics_module_path)

    def record(self, name, value):
        self.log.append((round(self.now, 3), name, value))

    def step(self, tm_diff: float):
        self.now += tm_diff
        if self.engine is not None:
            self.engine.update_sim(self.now, tm_diff)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as robot:
        (pathlib.Path(robot) / "physics.py").write_text(
            "class PhysicsEngine:\n"
            "    def __init__(self, physics):\n"
            "        self.physics, self.position = physics, 0.0\n"
            "    def update_sim(self, now, tm_diff):\n"
            "        self.position += 2.0 * tm_diff\n"
            "        self.physics.record('position', round(self.position, 3))\n"
        )
        iface = PhysicsInterface(pathlib.Path(robot))
        for _ in range(3):
            iface.step(0.02)
        print(iface.log)
