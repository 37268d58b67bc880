// Generates schema.d.ts from the OpenAPI document with openapi-typescript,
// typing binary strings (`format: binary`: uploads and downloads) as Blob,
// as openapi-typescript's documentation shows, so that a file from a
// browser's <input type=file> is accepted as it is.
//
//   node generate.mjs ../../openapi/openapi.json schema.d.ts
import { readFileSync, writeFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const [input, output] = process.argv.slice(2);
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const NULL = ts.factory.createLiteralTypeNode(ts.factory.createNull());
const document = JSON.parse(readFileSync(input, "utf8"));
const ast = await openapiTS(document, {
  transform(schema) {
    if (schema.format !== "binary") return undefined;
    const nullable = Array.isArray(schema.type) && schema.type.includes("null");
    return nullable ? ts.factory.createUnionTypeNode([BLOB, NULL]) : BLOB;
  },
});
writeFileSync(output, astToString(ast));
