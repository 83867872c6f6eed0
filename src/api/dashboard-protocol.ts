// Names the dashboard's page and the node agree on (imported by both web/ and src/api/): plain
// constants, no Node imports, so the front end can bundle this file.

/** The header that carries the session key on every API call the page makes. */
export const DASHBOARD_HEADER = 'x-sluice-dashboard';
/** The first WebSocket subprotocol the page offers on /v1/events; the second is its session key. */
export const FEED_PROTOCOL = 'sluice-dashboard';
/** The login redirect's fragment: `/#key=KEY`. */
export const KEY_FRAGMENT = 'key';
export const LOGIN_CODE_PATH = '/v1/dashboard/login';
