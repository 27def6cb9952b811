// The Studio's live connection ("bifur"): a WebSocket speaking JSON-RPC 2.0 with "♥"
// heartbeats. Without it the Studio reports "Trying to connect…" and keeps its lists
// loading. Over it, presence travels: each tab announces where its editor is, and every
// other tab sees them, as on a hosted project.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

const heartbeat = '\u2665';

export interface PresenceOptions {
  /** Accepts the token the Studio sends in its `authorization` call. */
  authorize(token: string): boolean;
  /** The user a session belongs to (one local editor). */
  userId: string;
  heartbeatMs?: number;
}

interface Client {
  socket: WebSocket;
  authorized: boolean;
  /** Subscription ids this socket opened for presence events. */
  subscriptions: Set<string>;
  /** Studio session ids announced over this socket, to say goodbye for them on close. */
  sessions: Set<string>;
}

type Request = { jsonrpc: '2.0'; id?: string; method: string; params?: Record<string, unknown> };

export class PresenceHub {
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  readonly #clients = new Set<Client>();
  readonly #options: PresenceOptions;
  readonly #timer: NodeJS.Timeout;

  constructor(options: PresenceOptions) {
    this.#options = options;
    this.#timer = setInterval(() => {
      for (const client of this.#clients) if (client.socket.readyState === WebSocket.OPEN) client.socket.send(heartbeat);
    }, options.heartbeatMs ?? 15_000);
    this.#timer.unref();
  }

  get connections(): number {
    return this.#clients.size;
  }

  /** Takes over an HTTP upgrade request for the socket path. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#server.handleUpgrade(request, socket, head, (ws) => this.#accept(ws));
  }

  close(): void {
    clearInterval(this.#timer);
    for (const client of this.#clients) client.socket.close(1001, 'The local Content Lake is stopping.');
    this.#server.close();
  }

  #accept(socket: WebSocket): void {
    const client: Client = { socket, authorized: false, subscriptions: new Set(), sessions: new Set() };
    this.#clients.add(client);
    socket.send(heartbeat);
    socket.on('message', (data) => this.#receive(client, String(data)));
    socket.on('close', () => {
      this.#clients.delete(client);
      for (const session of client.sessions) this.#broadcast(client, { type: 'disconnect', i: this.#options.userId, m: { session } });
    });
    socket.on('error', () => socket.terminate());
  }

  #receive(client: Client, text: string): void {
    if (text === heartbeat) return;
    let request: Request;
    try {
      request = JSON.parse(text) as Request;
    } catch {
      return this.#reply(client, undefined, { error: { code: -32700, message: 'Parse error' } });
    }
    const params = request.params ?? {};
    if (request.method === 'authorization') {
      const token = /^Bearer\s+(\S+)$/.exec(String(params.authorization ?? ''))?.[1] ?? '';
      client.authorized = this.#options.authorize(token);
      if (!client.authorized) return client.socket.close(4001, 'Unauthorized: the Studio token was refused.');
      return this.#reply(client, request.id, { result: true });
    }
    if (!client.authorized) return client.socket.close(4001, 'Unauthorized: send the authorization call first.');
    switch (request.method) {
      case 'presence_subscribe': {
        const subscription = `presence-${request.id ?? client.subscriptions.size}`;
        client.subscriptions.add(subscription);
        return this.#reply(client, request.id, { result: subscription });
      }
      case 'presence_unsubscribe':
        client.subscriptions.delete(String(params.subscriptionId ?? ''));
        return this.#reply(client, request.id, { result: true });
      case 'presence_rollcall':
        this.#broadcast(client, { type: 'rollCall', i: this.#options.userId, session: params.session });
        return this.#reply(client, request.id, { result: true });
      case 'presence_announce': {
        const data = (params.data ?? {}) as { sessionId?: string; locations?: unknown };
        if (typeof data.sessionId === 'string') client.sessions.add(data.sessionId);
        this.#broadcast(client, { type: 'state', i: this.#options.userId, m: { sessionId: data.sessionId, locations: data.locations ?? [] } });
        return this.#reply(client, request.id, { result: true });
      }
      case 'presence_disconnect':
        client.sessions.delete(String(params.session ?? ''));
        this.#broadcast(client, { type: 'disconnect', i: this.#options.userId, m: { session: params.session } });
        return this.#reply(client, request.id, { result: true });
      default:
        return this.#reply(client, request.id, { error: { code: -32601, message: `Method not found: ${request.method}` } });
    }
  }

  /** Sends a presence event to every other subscribed socket. */
  #broadcast(from: Client, result: Record<string, unknown>): void {
    for (const client of this.#clients) {
      if (client === from || client.socket.readyState !== WebSocket.OPEN) continue;
      for (const subscription of client.subscriptions) {
        client.socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'presence_subscription', params: { subscription, result } }));
      }
    }
  }

  #reply(client: Client, id: string | undefined, body: { result?: unknown; error?: unknown }): void {
    if (id === undefined || client.socket.readyState !== WebSocket.OPEN) return;
    client.socket.send(JSON.stringify({ jsonrpc: '2.0', id, ...body }));
  }
}
