import LRU from 'lru-cache';

export interface Session {
  user: string;
  createdAt: number;
}

export class MemoryStore {
  private sessions = new LRU<string, Session>({ max: 500, maxAge: 30 * 60 * 1000 });

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  set(id: string, session: Session): void {
    this.sessions.set(id, session);
  }

  destroy(id: string): void {
    this.sessions.del(id);
  }

  clear(): void {
    this.sessions.reset();
  }
}
