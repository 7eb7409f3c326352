import type { HandlerRef } from "../grants.ts";
import { routeKey, type Route } from "../routes.ts";

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
}

export type Match =
  | { kind: "found"; route: Route; routeKey: string; params: Record<string, string> }
  | { kind: "method-not-allowed"; allowed: string[] }
  | { kind: "not-found" };

/** Matches paths the way API Gateway HTTP APIs do: `{name}` is one segment, `{name+}` the rest. */
export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.path
        .split("/")
        .map((segment) => {
          const greedy = /^\{(\w+)\+\}$/.exec(segment);
          if (greedy?.[1]) {
            names.push(greedy[1]);
            return "(.+)";
          }
          const param = /^\{(\w+)\}$/.exec(segment);
          if (param?.[1]) {
            names.push(param[1]);
            return "([^/]+)";
          }
          return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        })
        .join("/");
      return { route, names, pattern: new RegExp(`^${source}$`) };
    });
    // API Gateway prefers the most specific route: literal segments beat {params}, {proxy+} comes last.
    const weight = (entry: Compiled) => entry.names.length + (entry.route.path.includes("+}") ? 100 : 0);
    this.compiled.sort((a, b) => weight(a) - weight(b));
  }

  match(method: string, path: string): Match {
    const allowed: string[] = [];
    for (const entry of this.compiled) {
      const found = entry.pattern.exec(path);
      if (!found) continue;
      if (entry.route.method !== method) {
        allowed.push(entry.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      entry.names.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1] ?? "");
      });
      return { kind: "found", route: entry.route, routeKey: routeKey(entry.route), params };
    }
    return allowed.length > 0 ? { kind: "method-not-allowed", allowed } : { kind: "not-found" };
  }

  handlers(): HandlerRef[] {
    return [...new Set(this.compiled.map((entry) => entry.route.handler))];
  }
}
