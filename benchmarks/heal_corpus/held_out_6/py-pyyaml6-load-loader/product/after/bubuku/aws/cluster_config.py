import urllib.request

import yaml

USER_DATA_URL = 'http://169.254.169.254/latest/user-data'
REGION_URL = 'http://169.254.169.254/latest/meta-data/placement/region'


def _http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=2) as resp:
        return resp.read().decode('utf-8')


class ConfigLoader(object):
    def load_user_data(self) -> dict:
        raise NotImplementedError()

    def load_region(self) -> str:
        raise NotImplementedError()


class AwsInstanceUserDataLoader(ConfigLoader):
    def __init__(self, http_get=_http_get):
        self.http_get = http_get

    def load_user_data(self):
        return yaml.load(self.http_get(USER_DATA_URL), Loader=yaml.FullLoader)

    def load_region(self) -> str:
        return self.http_get(REGION_URL)


class LocalUserDataLoader(ConfigLoader):
    def __init__(self, user_data: dict, region: str = 'eu-central-1'):
        self.user_data = user_data
        self.region = region

    def load_user_data(self):
        return dict(self.user_data)

    def load_region(self) -> str:
        return self.region


class ClusterConfig(object):
    def __init__(self, loader: ConfigLoader):
        data = loader.load_user_data() or {}
        self.region = loader.load_region()
        self.cluster_name = data.get('cluster_name', 'kafka')
        self.kafka_version = str(data.get('kafka_version', '3.6.0'))
        self.broker_count = int(data.get('cluster_size', 3))
        self.zookeeper = data.get('zookeeper_stack_name')
        self.volume = data.get('volume', {})

    def summary(self) -> str:
        return '{}@{} x{} (kafka {})'.format(self.cluster_name, self.region, self.broker_count, self.kafka_version)
