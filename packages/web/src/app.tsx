import { QueryClient, QueryClientProvider, useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useState, useSyncExternalStore, type ComponentType, type LazyExoticComponent } from "react";
import { Button as AriaButton, I18nProvider as AriaI18nProvider, Link, Menu, MenuItem, MenuTrigger, Popover, RouterProvider, Section, Header as MenuHeader } from "react-aria-components";
import { ErrorState, Loading, SelectField } from "./components/ui.tsx";
import { api, ApiError } from "./lib/api.ts";
import { I18nProvider, LANGS, useI18n, type Lang, type MessageKey } from "./lib/i18n.tsx";
import { MeContext, useCan } from "./lib/me.tsx";
import { navigate, useLocation } from "./lib/router.tsx";
import { session } from "./lib/session.ts";
import type { Me } from "./lib/types.ts";

const SignInPage = lazy(() => import("./pages/sign-in.tsx"));
const SetupPage = lazy(() => import("./pages/setup.tsx"));

interface RouteDef {
  path: string;
  label: MessageKey;
  page: LazyExoticComponent<ComponentType>;
  nav: boolean;
  superadmin?: boolean;
}

const ROUTES: RouteDef[] = [
  { path: "/integrations", label: "nav.integrations", page: lazy(() => import("./pages/integrations.tsx")), nav: true },
  { path: "/integrations/new", label: "nav.addProvider", page: lazy(() => import("./pages/add-provider.tsx")), nav: false },
  { path: "/monitoring", label: "nav.health", page: lazy(() => import("./pages/health.tsx")), nav: true },
  { path: "/webhooks", label: "nav.webhooks", page: lazy(() => import("./pages/webhooks.tsx")), nav: true },
  { path: "/dead-letters", label: "nav.deadLetters", page: lazy(() => import("./pages/dead-letters.tsx")), nav: true, superadmin: true },
  { path: "/payments", label: "nav.payments", page: lazy(() => import("./pages/payments.tsx")), nav: true },
  { path: "/channels", label: "nav.channels", page: lazy(() => import("./pages/channels.tsx")), nav: true },
  { path: "/messages", label: "nav.messages", page: lazy(() => import("./pages/messages.tsx")), nav: true },
  { path: "/templates", label: "nav.templates", page: lazy(() => import("./pages/templates.tsx")), nav: true },
  { path: "/audit", label: "nav.audit", page: lazy(() => import("./pages/audit.tsx")), nav: true },
  { path: "/api-keys", label: "nav.apiKeys", page: lazy(() => import("./pages/api-keys.tsx")), nav: true },
];

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // 4xx answers are final; only network trouble and 5xx are worth another try.
      retry: (failures, error) => failures < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      refetchOnWindowFocus: false,
      staleTime: 10_000,
    },
  },
});

function useSession() {
  return useSyncExternalStore(session.subscribe, session.get);
}

export function App() {
  return (
    <I18nProvider>
      <Providers />
    </I18nProvider>
  );
}

function Providers() {
  const { locale } = useI18n();
  return (
    <AriaI18nProvider locale={locale}>
      <RouterProvider navigate={(href) => navigate(href)}>
        <QueryClientProvider client={queryClient}>
          <Root />
        </QueryClientProvider>
      </RouterProvider>
    </AriaI18nProvider>
  );
}

function Root() {
  const current = useSession();
  const { pathname } = useLocation();

  // Forget every cached answer when the session ends; expire the session when its token does.
  useEffect(() => {
    if (!current) {
      queryClient.clear();
      return;
    }
    const timer = setTimeout(() => session.end("expired"), Math.max(0, current.expiresAt - Date.now()));
    return () => clearTimeout(timer);
  }, [current]);

  if (pathname === "/setup" && !current) {
    return (
      <Suspense fallback={<Loading />}>
        <SetupPage />
      </Suspense>
    );
  }
  if (!current) {
    return (
      <Suspense fallback={<Loading />}>
        <SignInPage />
      </Suspense>
    );
  }
  return <Shell />;
}

function Shell() {
  const { t } = useI18n();
  const me = useQuery({ queryKey: ["me"], queryFn: ({ signal }) => api.get<Me>("/api/auth/me", signal) });
  if (me.isPending) return <Loading />;
  if (me.isError) {
    return (
      <main className="center-page">
        <ErrorState error={me.error} onRetry={() => void me.refetch()} title={t("shell.meFailed")} />
      </main>
    );
  }
  return (
    <MeContext value={me.data}>
      <Layout me={me.data} />
    </MeContext>
  );
}

function Layout({ me }: { me: Me }) {
  const { t } = useI18n();
  const { pathname } = useLocation();
  const can = useCan();
  const [navOpen, setNavOpen] = useState(false);
  useEffect(() => {
    if (pathname === "/" || pathname === "/setup") navigate("/integrations", { replace: true });
    setNavOpen(false);
  }, [pathname]);
  const route = ROUTES.find((candidate) => candidate.path === pathname);
  const Page = route && (!route.superadmin || can.superadmin) ? route.page : undefined;
  const navRoutes = ROUTES.filter((candidate) => candidate.nav && (!candidate.superadmin || can.superadmin));
  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        {t("shell.skip")}
      </a>
      <header className="topbar">
        <AriaButton className="btn btn-ghost nav-toggle" aria-expanded={navOpen} aria-controls="primary-nav" onPress={() => setNavOpen((open) => !open)}>
          <span aria-hidden="true">☰</span>
          <span className="visually-hidden">{t("shell.menu")}</span>
        </AriaButton>
        <Link href="/integrations" className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>Sambung</span>
        </Link>
        <span className="tenant-name" title={me.tenant.timeZone}>
          {me.tenant.name}
        </span>
        <div className="topbar-end">
          <LanguageSwitch />
          <UserMenu me={me} />
        </div>
      </header>
      <nav id="primary-nav" className={`sidenav${navOpen ? " open" : ""}`} aria-label={t("shell.nav")}>
        <ul>
          {navRoutes.map((item) => {
            const active = pathname === item.path || (item.path !== "/" && pathname.startsWith(`${item.path}/`));
            return (
              <li key={item.path}>
                <Link href={item.path} className="nav-link" aria-current={active ? "page" : undefined}>
                  {t(item.label)}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>{Page ? <Page /> : <NotFound />}</Suspense>
      </main>
    </div>
  );
}

function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <div className="lang-switch">
      <SelectField label={t("shell.language")} options={LANGS} value={lang} onChange={(value) => setLang(value as Lang)} />
    </div>
  );
}

function UserMenu({ me }: { me: Me }) {
  const { t } = useI18n();
  const email = me.principal.kind === "user" ? me.principal.email : "";
  const role = me.principal.kind === "user" ? me.principal.role : "";
  return (
    <MenuTrigger>
      <AriaButton className="btn btn-ghost user-button" aria-label={t("shell.account", { email })}>
        <span className="avatar" aria-hidden="true">
          {email.slice(0, 1).toUpperCase()}
        </span>
        <span className="user-email">{email}</span>
      </AriaButton>
      <Popover className="popover" placement="bottom end">
        <Menu
          className="menu"
          onAction={(key) => {
            if (key === "sign-out") session.end("signed-out");
          }}
        >
          <Section>
            <MenuHeader className="menu-header">
              {email}
              <br />
              <span className="muted">
                {t(`role.${role || "viewer"}` as MessageKey)} · {me.tenant.timeZone}
              </span>
            </MenuHeader>
            <MenuItem id="sign-out" className="menu-item">
              {t("shell.signOut")}
            </MenuItem>
          </Section>
        </Menu>
      </Popover>
    </MenuTrigger>
  );
}

function NotFound() {
  const { t } = useI18n();
  return (
    <div className="state state-empty">
      <h1>{t("shell.notFound")}</h1>
      <Link href="/integrations">{t("nav.integrations")}</Link>
    </div>
  );
}
