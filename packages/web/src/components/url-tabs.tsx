import type { ReactNode } from "react";
import { Tab, TabList, TabPanel, Tabs } from "react-aria-components";
import { setSearchParam, useLocation } from "../lib/router.tsx";

export interface TabSpec {
  id: string;
  label: ReactNode;
  panel: ReactNode;
}

/** Tabs whose choice lives in the query string (`?{param}=id`; the first tab has none), so a reload or a link keeps it. */
export function UrlTabs({ param, label, tabs }: { param: string; label: string; tabs: TabSpec[] }) {
  const { search } = useLocation();
  const first = tabs[0]?.id;
  const selected = tabs.find((tab) => tab.id === search.get(param))?.id ?? first;
  return (
    <Tabs selectedKey={selected} onSelectionChange={(key) => setSearchParam(param, key === first ? undefined : String(key))} className="tabs">
      <TabList aria-label={label} className="tab-list">
        {tabs.map((tab) => (
          <Tab key={tab.id} id={tab.id} className="tab">
            {tab.label}
          </Tab>
        ))}
      </TabList>
      {tabs.map((tab) => (
        <TabPanel key={tab.id} id={tab.id} className="tab-panel">
          {tab.panel}
        </TabPanel>
      ))}
    </Tabs>
  );
}
