from .atom_dump.dump import dump as dump_atom
from .table.dump import dump as dump_table
