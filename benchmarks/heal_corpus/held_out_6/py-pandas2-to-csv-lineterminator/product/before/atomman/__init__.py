"""A tiny atomic-system package: a System is a box plus per-atom properties."""


class System:
    def __init__(self, box, **props):
        self.box = box
        self.props = props
        lengths = {len(v) for v in props.values()}
        assert len(lengths) == 1, 'all properties need one value per atom'
        self.natoms = lengths.pop()
