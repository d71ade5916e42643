// Publish a v2 stat from Node with Confluent's own serde (@confluentinc/schemaregistry) and kafkajs.
import kafkajs from 'kafkajs';
import { AvroSerializer, SchemaRegistryClient, SerdeType } from '@confluentinc/schemaregistry';

const { Kafka, Partitioners } = kafkajs;
const [brokers, registryUrl] = process.argv.slice(2);
const registry = new SchemaRegistryClient({ baseURLs: [registryUrl] });
const avro = new AvroSerializer(registry, SerdeType.VALUE, { useLatestVersion: true, autoRegisterSchemas: false });
const producer = new Kafka({ brokers: [brokers], clientId: 'model-job' }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
const stat = { model_name: 'IntentClassifier', model_version: 'v4', stat_date: Date.UTC(2026, 10, 22) / 86400000, slice_key: 'ALL',
  metric_type: 'ONLINE', metric_key: 'accuracy', metric_value: 0.93 };
await producer.connect();
await producer.send({ topic: 'model-stats.v2', messages: [{ key: 'IntentClassifier/v4/2026-11-22/ALL',
  value: await avro.serialize('model-stats.v2', stat) }] });
await producer.disconnect();
