// Publish a legacy (v1) stat, and a v2 stat with its KPI, from Node with kafkajs.
import kafkajs from 'kafkajs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import LZ4 from 'kafkajs-lz4';

const { Kafka, CompressionTypes, CompressionCodecs, Partitioners } = kafkajs;

CompressionCodecs[CompressionTypes.LZ4] = new LZ4().codec;      // the pipeline's output is LZ4-compressed
const [brokers, host] = process.argv.slice(2);                   // e.g. localhost:9092 http://localhost:8081
const registry = new SchemaRegistry({ host });                   // registering? pass { compatibility: COMPATIBILITY.BACKWARD_TRANSITIVE }
const producer = new Kafka({ brokers: [brokers], clientId: 'model-job' })
  .producer({ createPartitioner: Partitioners.DefaultPartitioner });   // murmur2 on the key, as Java's
const publish = async (topic, value) => producer.send({ topic, messages: [{
  key: `${value.model_name}/${value.model_version}/${new Date(value.stat_date * 86400000).toISOString().slice(0, 10)}/${value.slice_key}`,
  value: await registry.encode(await registry.getLatestSchemaId(`${topic}-value`), value) }] });   // a stat and its KPI: one key

const row = { model_name: 'IntentClassifier', model_version: 'v4', stat_date: Date.UTC(2026, 10, 21) / 86400000, slice_key: 'ALL' };
await producer.connect();
await publish('model-stats.v1', { ...row, metric_name: 'accuracy', metric_value: 0.91, business_metric_value: null });
await publish('model-stats.v2', { ...row, metric_type: 'BUSINESS', metric_key: 'conversion_rate', metric_value: 0.2 });
await publish('model-business-stats.v2', { ...row, metric_type: 'BUSINESS', metric_key: 'conversion_rate', business_metric_value: 75.5 });
await producer.disconnect();
