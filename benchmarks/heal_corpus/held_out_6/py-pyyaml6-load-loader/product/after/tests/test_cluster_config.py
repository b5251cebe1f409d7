import unittest

from bubuku.aws.cluster_config import (REGION_URL, USER_DATA_URL, AwsInstanceUserDataLoader, ClusterConfig,
                                       LocalUserDataLoader)

USER_DATA = """
cluster_name: events
kafka_version: 3.7.1
cluster_size: 5
zookeeper_stack_name: zk-events
volume:
  size_gb: 500
  type: gp3
"""


def fake_get(url):
    return {USER_DATA_URL: USER_DATA, REGION_URL: 'eu-west-1'}[url]


class TestClusterConfig(unittest.TestCase):
    def test_aws_user_data(self):
        config = ClusterConfig(AwsInstanceUserDataLoader(http_get=fake_get))
        self.assertEqual('events@eu-west-1 x5 (kafka 3.7.1)', config.summary())
        self.assertEqual({'size_gb': 500, 'type': 'gp3'}, config.volume)
        self.assertEqual('zk-events', config.zookeeper)

    def test_empty_user_data(self):
        config = ClusterConfig(AwsInstanceUserDataLoader(http_get=lambda url: '' if url == USER_DATA_URL else 'us-east-1'))
        self.assertEqual('kafka@us-east-1 x3 (kafka 3.6.0)', config.summary())

    def test_local(self):
        config = ClusterConfig(LocalUserDataLoader({'cluster_name': 'dev', 'cluster_size': 1}))
        self.assertEqual('dev@eu-central-1 x1 (kafka 3.6.0)', config.summary())


if __name__ == '__main__':
    unittest.main()
