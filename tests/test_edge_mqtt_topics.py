"""edge_runtime.mqtt_topics: topic names and the Home Assistant discovery message, without a broker."""

import socket

import pytest

from edge_runtime import mqtt, mqtt_topics


def test_the_default_topic_is_named_after_the_host():
    expected = "mnist-edge/" + socket.gethostname().lower().replace(".", "-")
    assert mqtt_topics.default_topic() == expected == mqtt.MqttSettings("broker").topic


@pytest.mark.parametrize("topic", ["", "/meters", "meters/", "home/+/meter", "home/#"])
def test_topics_with_wildcards_or_empty_levels_at_the_ends_are_refused(topic):
    with pytest.raises(ValueError, match="must be a topic like"):
        mqtt_topics.check_topic(topic)


def test_discovery_message_for_a_custom_prefix_and_topic():
    topic, config = mqtt_topics.discovery_config("home/gas meter", prefix="ha")
    assert topic == "ha/sensor/home_gas_meter/reading/config"
    assert (config["unique_id"], config["state_topic"], config["availability_topic"]) == (
        "home_gas_meter_reading", "home/gas meter/state", "home/gas meter/availability")
    assert config["device"]["identifiers"] == ["home_gas_meter"] and config["device"]["name"] == "mnist-edge gas meter"
