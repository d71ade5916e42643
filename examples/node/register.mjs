// Register a contract schema from Node with @kafkajs/confluent-schema-registry. statbridge's subjects are
// BACKWARD_TRANSITIVE, and this client refuses to register unless told the subject's level.
//   node register.mjs <registryUrl> <subject> <file.avsc>   prints the schema id
import { readFileSync } from 'node:fs';
import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';

const [host, subject, file] = process.argv.slice(2);
const registry = new SchemaRegistry({ host });
const { id } = await registry.register({ type: SchemaType.AVRO, schema: readFileSync(file, 'utf8') },
  { subject, compatibility: COMPATIBILITY.BACKWARD_TRANSITIVE });
process.stdout.write(String(id));
