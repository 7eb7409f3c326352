import { existsSync } from "node:fs";
import { StaticSite, use, type StackContext } from "sst/constructs";
import { Api } from "./api.ts";

export const WEB_PATH = "packages/web";

/** The admin SPA, once packages/web exists; until then the stack is empty. */
export function Web({ stack }: StackContext) {
  if (!existsSync(`${WEB_PATH}/package.json`)) return { site: undefined };
  const { api } = use(Api);
  const site = new StaticSite(stack, "Admin", {
    path: WEB_PATH,
    buildCommand: "npm run build",
    buildOutput: "dist",
    // Client-side routes: any unknown path serves the SPA.
    errorPage: "redirect_to_index_page",
    // SST writes an ImportMetaEnv declaration for the environment above; keep it out of the package's sources.
    vite: { types: "../../.sst/web/sst-env.d.ts" },
    // Vite inlines it at build time; SST fills in the real URL during the deploy.
    environment: { VITE_API_URL: api.url },
  });
  // No URL when the stack is not being deployed (`sst deploy` of other stacks only).
  if (site.url) stack.addOutputs({ AdminUrl: site.url });
  return { site };
}
