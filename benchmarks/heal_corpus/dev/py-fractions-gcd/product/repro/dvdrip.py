from collections import namedtuple
from fractions import gcd
