import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Checkbox, CheckboxGroup, Label } from "react-aria-components";
import { DataTable } from "../components/data-table.tsx";
import { SubmitActions, SubmitForm } from "../components/form.tsx";
import { QueryState } from "../components/query-state.tsx";
import { Badge, Button, ConfirmDialog, Empty, Field, InlineError, ModalDialog, OnceValueStep, PageHeader, SelectField } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useConfirmed } from "../lib/confirmed.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n } from "../lib/i18n.tsx";
import { useCan } from "../lib/me.tsx";
import { API_SCOPES, type ApiKey, type ApiScope } from "../lib/types.ts";
import { locationOptions, useLocations } from "./integrations.tsx";

export default function ApiKeysPage() {
  const { t } = useI18n();
  const can = useCan();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const keys = useQuery({ queryKey: ["api-keys"], queryFn: ({ signal }) => api.get<{ items: ApiKey[] }>("/api/admin/api-keys", signal) });
  const locations = useLocations();
  const revoke = useConfirmed(
    (key: ApiKey) => api.delete<ApiKey>(`/api/admin/api-keys/${key.id}`),
    { onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["api-keys"] }) },
  );
  const locationName = (id: string | undefined) => (id ? (locations.data?.items.find((location) => location.id === id)?.name ?? id) : t("location.all"));
  const newestLiveFirst = (items: ApiKey[]) =>
    [...items].sort((a, b) => Number(Boolean(a.revokedAt)) - Number(Boolean(b.revokedAt)) || b.createdAt.localeCompare(a.createdAt));
  return (
    <>
      <PageHeader
        title={t("keys.title")}
        description={t("keys.intro")}
        actions={
          can.admin ? (
            <Button variant="primary" onPress={() => setCreating(true)}>
              {t("keys.create")}
            </Button>
          ) : undefined
        }
      />
      <QueryState
        query={keys}
        isEmpty={(data) => data.items.length === 0}
        empty={
          <Empty title={t("keys.empty")} action={can.admin ? <Button variant="primary" onPress={() => setCreating(true)}>{t("keys.create")}</Button> : undefined}>
            {t("keys.emptyHint")}
          </Empty>
        }
      >
        {(data) => (
          <DataTable
            variant="stack"
            caption={t("keys.title")}
            columns={[
              t("keys.name"),
              t("keys.prefix"),
              t("keys.scopes"),
              t("keys.location"),
              t("keys.lastUsed"),
              t("keys.status"),
              can.admin && { label: t("common.actions"), hidden: true },
            ]}
          >
            {newestLiveFirst(data.items).map((key) => (
              <tr key={key.id} className={key.revokedAt ? "row-muted" : undefined}>
                <td data-label={t("keys.name")}>
                  {key.name}
                  <div className="muted small">{t("keys.createdBy", { who: key.createdBy.replace(/^user:/, ""), when: format.dateTime(key.createdAt) })}</div>
                </td>
                <td data-label={t("keys.prefix")}>
                  <code>{key.prefix}…</code>
                </td>
                <td data-label={t("keys.scopes")} className="small">{key.scopes.join(", ")}</td>
                <td data-label={t("keys.location")} className="small">{locationName(key.locationId)}</td>
                <td data-label={t("keys.lastUsed")} className="small">{key.lastUsedAt ? format.relative(key.lastUsedAt) : t("keys.never")}</td>
                <td data-label={t("keys.status")}>{key.revokedAt ? <Badge tone="neutral">{t("keys.revokedOn", { when: format.dateTime(key.revokedAt) })}</Badge> : <Badge tone="ok">{t("keys.active")}</Badge>}</td>
                {can.admin ? (
                  <td data-label="">
                    {key.revokedAt ? null : (
                      <Button small variant="danger" aria-label={t("keys.revokeLabel", { name: key.name })} onPress={() => revoke.ask(key)}>
                        {t("keys.revoke")}
                      </Button>
                    )}
                  </td>
                ) : null}
              </tr>
            ))}
          </DataTable>
        )}
      </QueryState>
      {creating ? <CreateKeyDialog onClose={() => setCreating(false)} /> : null}
      <ConfirmDialog {...revoke.dialog} title={t("keys.revokeTitle", { name: revoke.target?.name ?? "" })} confirmLabel={t("keys.revoke")}>
        <p>{t("keys.revokeBody")}</p>
      </ConfirmDialog>
    </>
  );
}

function CreateKeyDialog({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const locations = useLocations();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["*"]);
  const [rate, setRate] = useState("600");
  const [locationId, setLocationId] = useState("");
  const create = useMutation({
    mutationFn: () =>
      api.post<ApiKey & { key: string; note: string }>("/api/admin/api-keys", {
        name,
        scopes: scopes as ApiScope[],
        rateLimitPerMinute: Number(rate),
        locationId: locationId || undefined,
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["api-keys"] }),
  });
  return (
    <ModalDialog title={create.data ? t("keys.createdTitle") : t("keys.create")} isOpen onOpenChange={(open) => !open && onClose()} isDismissable={!create.data}>
      {create.data ? (
        <OnceValueStep value={create.data.key} note={t("keys.onceNote")} onDone={onClose} />
      ) : (
        <SubmitForm onSubmit={() => create.mutate()}>
          <Field label={t("keys.name")} value={name} onChange={setName} isRequired autoFocus description={t("keys.nameHint")} />
          <CheckboxGroup className="checkbox-group" value={scopes} onChange={setScopes} isRequired>
            <Label className="field-label">{t("keys.scopes")}</Label>
            <div className="checkbox-grid">
              {API_SCOPES.map((scope) => (
                <Checkbox key={scope} value={scope} className="checkbox">
                  <span className="checkbox-box" aria-hidden="true" />
                  {scope === "*" ? t("keys.allScopes") : scope}
                </Checkbox>
              ))}
            </div>
          </CheckboxGroup>
          <Field label={t("keys.rate")} type="number" inputMode="numeric" value={rate} onChange={setRate} isRequired />
          {(locations.data?.items.length ?? 0) > 0 ? (
            <SelectField
              label={t("keys.location")}
              options={locationOptions(t, locations.data?.items)}
              value={locationId}
              onChange={setLocationId}
            />
          ) : null}
          <InlineError error={create.error} />
          <SubmitActions onCancel={onClose} submitLabel={t("keys.create")} pending={create.isPending} pendingLabel={t("common.working")} isDisabled={scopes.length === 0} />
        </SubmitForm>
      )}
    </ModalDialog>
  );
}
