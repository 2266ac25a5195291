import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { verifyUtf8 } from '../../src/graphql/limits';
import { leanJsonBody } from '../../src/http/json-body';

const LIMIT = 64;

/** The lean reader and express.json side by side, each answering what it parsed or the error it raised. */
function app(): express.Express {
  const full = express.json({ limit: LIMIT, verify: verifyUtf8 });
  const result = express();
  const answer = (request: Request, response: Response) => void response.json({ body: request.body as unknown });
  result.post('/lean', leanJsonBody(LIMIT, full), answer);
  result.post('/full', full, answer);
  result.use((error: { status?: number; message?: string; expose?: boolean }, _request: Request, response: Response, _next: NextFunction) => {
    void response.status(error.status ?? 500).json({ status: error.status, message: error.message, expose: error.expose });
  });
  return result;
}

describe('the lean JSON body reader of POST /graphql', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = app().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const send = async (path: string, body: Buffer, contentType: string) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': contentType } });
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it.each([
    ['an object', '{"query":"{ __typename }"}', 'application/json'],
    ['an array', '[{"query":"{ a }"},{"query":"{ b }"}]', 'application/json'],
    ['an empty body', '', 'application/json'],
    ['a BOM', '\uFEFF{"a":1}', 'application/json'],
    ['leading whitespace', ' \n\t{"a":"Nghệ An"}', 'application/json; charset=utf-8'],
    ['a declared UTF-8 charset in capitals', '{"a":1}', 'application/json; charset=UTF-8'],
    ['a string', '"just a string"', 'application/json'],
    ['a number after whitespace', '   42', 'application/json'],
    ['only whitespace', '   ', 'application/json'],
    ['truncated JSON', '{"query": ', 'application/json'],
    ['a trailing comma', '{"a":1,}', 'application/json'],
    ['a body over the limit', `{"query":"${'x'.repeat(LIMIT)}"}`, 'application/json'],
    ['another charset', '{}', 'application/json; charset=koi8-zz'],
    ['another type', '{}', 'text/plain'],
  ])('answers %s as express.json does', async (_label, text, contentType) => {
    const body = Buffer.from(text);
    expect(await send('/lean', body, contentType)).toEqual(await send('/full', body, contentType));
  });

  it('refuses a body that is not UTF-8 as express.json does', async () => {
    const body = Buffer.concat([Buffer.from('{"q":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const lean = await send('/lean', body, 'application/json');
    expect(lean).toEqual(await send('/full', body, 'application/json'));
    expect(lean).toEqual({ status: 400, body: { status: 400, message: 'the request body is not valid UTF-8', expose: true } });
  });
});
