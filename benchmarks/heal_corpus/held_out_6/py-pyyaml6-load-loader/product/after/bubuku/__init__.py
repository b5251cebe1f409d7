"""bubuku-like Kafka supervisor: configuration loading only."""
