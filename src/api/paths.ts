// Paths of the control API that both its server and its client need (the client must not load the server).
export const EVENTS_PATH = '/v1/events';
