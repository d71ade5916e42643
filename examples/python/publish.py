# Publish one legacy (v1) stat, and one v2 stat with its KPI, from Python with Confluent's client.
import datetime, sys
from confluent_kafka import Producer
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

kafka, registry = sys.argv[1], sys.argv[2]                 # e.g. localhost:9092 http://localhost:8081
schemas = CachedSchemaRegistryClient({"url": registry})
avro = MessageSerializer(schemas)                          # Confluent's wire format: magic byte, schema id, Avro
producer = Producer({"bootstrap.servers": kafka})

def publish(topic, value):                                 # the key is a plain string, the same for a stat and its KPI
    key = f"{value['model_name']}/{value['model_version']}/{value['stat_date']}/{value['slice_key']}"
    schema = schemas.get_latest_schema(topic + "-value")[1]   # the contract, as registered
    producer.produce(topic, key=key.encode(), value=avro.encode_record_with_schema(topic, schema, value))

row = {"model_name": "ChurnPredictor", "model_version": "v3", "stat_date": datetime.date(2026, 11, 20), "slice_key": "ALL"}
publish("model-stats.v1", {**row, "metric_name": "churn_rate", "metric_value": 0.04, "business_metric_value": 1250.0})
publish("model-stats.v2", {**row, "metric_type": "BUSINESS", "metric_key": "conversion_rate", "metric_value": 0.12})
publish("model-business-stats.v2", {**row, "metric_type": "BUSINESS", "metric_key": "conversion_rate", "business_metric_value": 310.0})
producer.flush()
