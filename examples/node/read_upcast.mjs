// Read the pipeline's output (v1 stats upcast to v2: transactional, LZ4-compressed) from Node with kafkajs.
//   node read_upcast.mjs <brokers> <registryUrl> <key>   prints the decoded records of that key as JSON
import kafkajs from 'kafkajs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import LZ4 from 'kafkajs-lz4';

const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = kafkajs;
CompressionCodecs[CompressionTypes.LZ4] = new LZ4().codec;
const [brokers, host, wanted] = process.argv.slice(2);
const registry = new SchemaRegistry({ host });
const consumer = new Kafka({ brokers: [brokers], clientId: 'read-upcast', logLevel: logLevel.ERROR })
  .consumer({ groupId: `read-upcast-${Date.now()}`, readUncommitted: false });
const found = [];
let last = Date.now();
await consumer.connect();
await consumer.subscribe({ topics: ['model-stats.v2', 'model-business-stats.v2'], fromBeginning: true });
await consumer.run({
  eachMessage: async ({ topic, message }) => {
    last = Date.now();
    if (message.key?.toString() === wanted) {
      found.push({ topic, ...(await registry.decode(message.value)) });
    }
  },
});
while (Date.now() - last < 8000) {
  await new Promise((resolve) => setTimeout(resolve, 500));
}
await consumer.disconnect();
process.stdout.write(JSON.stringify(found));
