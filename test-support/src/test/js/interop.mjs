// Drives Confluent's official JS schema registry client and Avro serde for ConfluentJsInteropIT.
//
//   node interop.mjs serialize   <registryUrl> <topic> <schemaFile> <recordJson>
//       registers the schema under <topic>-value with Confluent's client, serializes the record
//       with Confluent's AvroSerializer and prints {"id": n, "hex": "..."}.
//   node interop.mjs deserialize <registryUrl> <topic> <hex>
//       deserializes the bytes with Confluent's AvroDeserializer and prints the record as JSON.
import { readFileSync } from 'node:fs';
import {
  AvroDeserializer,
  AvroSerializer,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';

const [command, url, topic, ...rest] = process.argv.slice(2);
const client = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 2, retriesWaitMs: 100, retriesMaxWaitMs: 500 });

async function main() {
  if (command === 'serialize') {
    const [schemaFile, recordJson] = rest;
    const schema = readFileSync(schemaFile, 'utf8');
    const id = await client.register(`${topic}-value`, { schemaType: 'AVRO', schema });
    const serializer = new AvroSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: false, useLatestVersion: true });
    const bytes = await serializer.serialize(topic, JSON.parse(recordJson));
    process.stdout.write(JSON.stringify({ id, hex: bytes.toString('hex') }));
  } else if (command === 'deserialize') {
    const [hex] = rest;
    const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
    const record = await deserializer.deserialize(topic, Buffer.from(hex, 'hex'));
    process.stdout.write(JSON.stringify(record));
  } else {
    throw new Error(`unknown command ${command}`);
  }
}

main().catch((error) => {
  process.stderr.write(`interop failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
