from urllib3.util.retry import Retry

retry = Retry(total=3, read=3, connect=3, backoff_factor=0.3, status_forcelist=(500,), method_whitelist=frozenset(['HEAD', 'GET', 'POST']))
