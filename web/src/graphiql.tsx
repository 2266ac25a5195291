import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import './graphiql.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { credential, endpoint, liveEndpoint } from './session';

/**
 * GraphiQL served by the hub (GET /graphql from a browser): editor, docs explorer, history and headers, with no
 * request to another origin. Operations carry the console's credential from sessionStorage unless the headers
 * editor sets its own Authorization. `#query=…&variables=…` (from the console's "open in GraphiQL") opens that
 * operation: in the fragment, so it never reaches the server's logs.
 */
const fragment = new URLSearchParams(location.hash.slice(1));
const signedIn = credential();
const fetcher = createGraphiQLFetcher({
  url: endpoint(),
  headers: signedIn ? { authorization: `Bearer ${signedIn}` } : undefined,
  // Subscriptions over the hub's own WebSocket next to the page (graphql-ws), with the same credential (or the
  // Authorization of the headers editor, which GraphiQL adds to the connection parameters).
  subscriptionUrl: liveEndpoint(),
  wsConnectionParams: signedIn ? { authorization: `Bearer ${signedIn}` } : undefined,
});

const root = document.getElementById('graphiql');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <GraphiQL
        fetcher={fetcher}
        initialQuery={fragment.get('query') ?? undefined}
        initialVariables={fragment.get('variables') ?? undefined}
        defaultQuery={'# PilotHub GraphQL\n# Đăng nhập ở bảng điều khiển hoặc đặt {"Authorization": "Bearer <khoá API>"} trong Headers.\n# (Sign in on the console, or set {"Authorization": "Bearer <API key>"} in Headers.)\n{\n  viewer { name role }\n  program(code: "DA06") { pilotModelCounts { total completed inProgress notStarted } }\n}\n'}
        shouldPersistHeaders={false}
      >
        <GraphiQL.Logo>
          <a className="pilothub-logo" href="./">PilotHub</a>
        </GraphiQL.Logo>
      </GraphiQL>
    </StrictMode>,
  );
}
