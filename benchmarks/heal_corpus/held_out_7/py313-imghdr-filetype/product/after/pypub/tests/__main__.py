import unittest

from .factory import *

if __name__ == '__main__':
    unittest.main()
