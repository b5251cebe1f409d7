from .util import load_rttm, load_stm, load_mdtm, load_uem, load_lab
from .loader import load_trial, CTMLoader, MAPLoader

__all__ = ["load_rttm", "load_stm", "load_mdtm", "load_uem", "load_lab", "load_trial", "CTMLoader", "MAPLoader"]
