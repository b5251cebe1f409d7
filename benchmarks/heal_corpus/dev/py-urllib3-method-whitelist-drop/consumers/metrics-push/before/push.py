import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def session(retries=3):
    s = requests.Session()
    retry = Retry(total=retries, backoff_factor=0.2, status_forcelist=(502, 503), method_whitelist=frozenset(['GET', 'POST']))
    s.mount('https://', HTTPAdapter(max_retries=retry))
    return s
