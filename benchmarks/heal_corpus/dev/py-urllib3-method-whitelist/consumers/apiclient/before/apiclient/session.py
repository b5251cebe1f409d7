import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def build():
    retry = Retry(total=5, backoff_factor=0.5, status_forcelist=[502, 503], method_whitelist=["GET", "POST"])
    session = requests.Session()
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session
