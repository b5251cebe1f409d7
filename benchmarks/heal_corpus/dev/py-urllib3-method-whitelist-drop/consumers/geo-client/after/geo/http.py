from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def adapter():
    return HTTPAdapter(max_retries=Retry(total=5, status_forcelist=(429,)))
