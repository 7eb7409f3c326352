import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Checkbox, CheckboxGroup, Form, Label } from "react-aria-components";
import { Badge, Button, ConfirmDialog, Empty, ErrorState, Field, InlineError, Loading, ModalDialog, OnceValue, PageHeader, SelectField } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useFormat } from "../lib/format.ts";
import { useI18n } from "../lib/i18n.tsx";
import { useCan } from "../lib/me.tsx";
import { API_SCOPES, type ApiKey, type ApiScope } from "../lib/types.ts";
import { useLocations } from "./integrations.tsx";

export default function ApiKeysPage() {
  const { t } = useI18n();
  const can = useCan();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | undefined>();
  const keys = useQuery({ queryKey: ["api-keys"], queryFn: ({ signal }) => api.get<{ items: ApiKey[] }>("/api/admin/api-keys", signal) });
  const locations = useLocations();
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete<ApiKey>(`/api/admin/api-keys/${id}`),
    onSuccess: () => {
      setRevoking(undefined);
      void queryClient.invalidateQueries({ queryKey: ["api-keys"] });
    },
  });
  const locationName = (id: string | undefined) => (id ? (locations.data?.items.find((location) => location.id === id)?.name ?? id) : t("location.all"));
  const items = [...(keys.data?.items ?? [])].sort((a, b) => Number(Boolean(a.revokedAt)) - Number(Boolean(b.revokedAt)) || b.createdAt.localeCompare(a.createdAt));
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
      {keys.isPending ? (
        <Loading />
      ) : keys.isError ? (
        <ErrorState error={keys.error} onRetry={() => void keys.refetch()} />
      ) : items.length === 0 ? (
        <Empty title={t("keys.empty")} action={can.admin ? <Button variant="primary" onPress={() => setCreating(true)}>{t("keys.create")}</Button> : undefined}>
          {t("keys.emptyHint")}
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table table-stack">
            <caption className="visually-hidden">{t("keys.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("keys.name")}</th>
                <th scope="col">{t("keys.prefix")}</th>
                <th scope="col">{t("keys.scopes")}</th>
                <th scope="col">{t("keys.location")}</th>
                <th scope="col">{t("keys.lastUsed")}</th>
                <th scope="col">{t("keys.status")}</th>
                {can.admin ? <th scope="col"><span className="visually-hidden">{t("common.actions")}</span></th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((key) => (
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
                        <Button
                          small
                          variant="danger"
                          aria-label={t("keys.revokeLabel", { name: key.name })}
                          onPress={() => {
                            revoke.reset();
                            setRevoking(key);
                          }}
                        >
                          {t("keys.revoke")}
                        </Button>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating ? <CreateKeyDialog onClose={() => setCreating(false)} /> : null}
      <ConfirmDialog
        title={t("keys.revokeTitle", { name: revoking?.name ?? "" })}
        isOpen={Boolean(revoking)}
        onOpenChange={(open) => !open && setRevoking(undefined)}
        confirmLabel={t("keys.revoke")}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
        pending={revoke.isPending}
        error={revoke.error}
      >
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
        <>
          <OnceValue value={create.data.key} note={t("keys.onceNote")} />
          <div className="dialog-actions">
            <Button variant="primary" onPress={onClose}>
              {t("keys.stored")}
            </Button>
          </div>
        </>
      ) : (
        <Form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate();
          }}
        >
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
              options={[{ id: "", label: t("location.all") }, ...(locations.data?.items ?? []).map((location) => ({ id: location.id, label: location.name }))]}
              value={locationId}
              onChange={setLocationId}
            />
          ) : null}
          <InlineError error={create.error} />
          <div className="dialog-actions">
            <Button onPress={onClose}>{t("common.cancel")}</Button>
            <Button type="submit" variant="primary" isDisabled={create.isPending || scopes.length === 0}>
              {create.isPending ? t("common.working") : t("keys.create")}
            </Button>
          </div>
        </Form>
      )}
    </ModalDialog>
  );
}
