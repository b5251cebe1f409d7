import logging
from collections import namedtuple, Mapping
