import express, { type RequestHandler, type Router } from 'express';
import { connectorManifestSchema } from '../modules/connectors/connector-manifest';

/**
 * GET /schemas/connector-manifest.json: the JSON Schema of connector manifests, for editors. Public (like the
 * probes, served before authentication): it describes the hub's kinds and reveals no data, and editors fetch it
 * without a key. `rateLimit` counts each request against the client's address, as every download is (the document
 * is some 95 kB: unlimited, it would let anyone pull bandwidth from the hub without a key).
 */
export function schemaRouter(rateLimit: RequestHandler): Router {
  const router = express.Router();
  router.get('/schemas/connector-manifest.json', rateLimit, (_request, response) => {
    response.set('cache-control', 'public, max-age=300');
    response.type('application/schema+json').send(JSON.stringify(connectorManifestSchema(), null, 2));
  });
  return router;
}
