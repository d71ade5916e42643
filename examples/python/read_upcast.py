# Read the pipeline's output (v1 stats upcast to v2, LZ4-compressed) from Python with Confluent's client.
import json, sys, uuid
from confluent_kafka import Consumer
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

kafka, registry, wanted = sys.argv[1], sys.argv[2], sys.argv[3]   # wanted: a key, e.g. ChurnPredictor/v3/2026-11-20/ALL
avro = MessageSerializer(CachedSchemaRegistryClient({"url": registry}))
consumer = Consumer({"bootstrap.servers": kafka, "group.id": f"read-upcast-{uuid.uuid4()}", "auto.offset.reset": "earliest",
                     "isolation.level": "read_committed"})    # the pipeline writes in transactions
consumer.subscribe(["model-stats.v2", "model-business-stats.v2"])
found, idle = [], 0
while idle < 10:                                            # stop after 10 s without a record
    message = consumer.poll(1.0)
    if message is None or message.error():
        idle += 1
        continue
    idle = 0
    if message.key() and message.key().decode() == wanted:
        value = avro.decode_message(message.value())
        found.append({"topic": message.topic(), **{k: str(v) for k, v in value.items()}})
consumer.close()
print(json.dumps(found))
