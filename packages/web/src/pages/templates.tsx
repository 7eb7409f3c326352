import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { DataTable } from "../components/data-table.tsx";
import { Facts } from "../components/facts.tsx";
import { SubmitActions, SubmitForm } from "../components/form.tsx";
import { QueryState } from "../components/query-state.tsx";
import { Badge, Button, ConfirmDialog, Empty, Field, InlineError, ModalDialog, PageHeader, SelectField, TextAreaField } from "../components/ui.tsx";
import { api } from "../lib/api.ts";
import { useConfirmed } from "../lib/confirmed.ts";
import { useI18n, type MessageKey } from "../lib/i18n.tsx";
import { useCan } from "../lib/me.tsx";
import { CHANNELS, PARAM_TYPES, type Channel, type MessageTemplate, type Rendered, type TemplateParam } from "../lib/messaging.ts";

/** "guestName:string, checkIn:date, total:number?" ⇄ typed params (a trailing ? marks an optional one). */
function paramsToText(params: TemplateParam[]): string {
  return params.map((param) => `${param.name}:${param.type}${param.required ? "" : "?"}`).join(", ");
}

function textToParams(text: string): TemplateParam[] {
  return text
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [name = "", rawType = "string"] = part.split(":").map((piece) => piece.trim());
      const required = !rawType.endsWith("?") && !name.endsWith("?");
      const type = rawType.replace(/\?$/, "") as TemplateParam["type"];
      return { name: name.replace(/\?$/, ""), type: PARAM_TYPES.includes(type) ? type : "string", required };
    });
}

const names = (text: string) =>
  text
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);

export default function TemplatesPage() {
  const { t } = useI18n();
  const can = useCan();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<MessageTemplate | "new" | undefined>();
  const [previewing, setPreviewing] = useState<MessageTemplate | undefined>();
  const templates = useQuery({ queryKey: ["templates"], queryFn: ({ signal }) => api.get<{ items: MessageTemplate[] }>("/api/admin/templates", signal) });
  const remove = useConfirmed((template: MessageTemplate) => api.delete(`/api/admin/templates/${template.id}`), {
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["templates"] }),
  });
  const create = can.admin ? (
    <Button variant="primary" onPress={() => setEditing("new")}>
      {t("templates.create")}
    </Button>
  ) : undefined;
  return (
    <>
      <PageHeader title={t("templates.title")} description={t("templates.intro")} actions={create} />
      <QueryState
        query={templates}
        isEmpty={(data) => data.items.length === 0}
        empty={
          <Empty title={t("templates.empty")} action={create}>
            {t("templates.emptyHint")}
          </Empty>
        }
      >
        {(data) => (
          <DataTable
            variant="stack"
            caption={t("templates.title")}
            columns={[t("templates.name"), t("templates.channel"), t("templates.params"), { label: t("common.actions"), hidden: true }]}
          >
            {data.items.map((template) => (
              <tr key={template.id}>
                <td data-label={t("templates.name")}>
                  <code>{template.name}</code> <span className="muted small">({template.locale})</span>
                  {template.description ? <div className="muted small">{template.description}</div> : null}
                </td>
                <td data-label={t("templates.channel")}>
                  {t(`channel.${template.channel}` as MessageKey)}
                  {template.whatsapp ? (
                    <>
                      {" "}
                      <Badge tone="info">{t("templates.approved", { name: template.whatsapp.name })}</Badge>
                    </>
                  ) : null}
                </td>
                <td data-label={t("templates.params")} className="small">
                  {paramsToText(template.params) || "—"}
                </td>
                <td data-label="" className="nowrap">
                  <Button small onPress={() => setPreviewing(template)} aria-label={t("templates.previewLabel", { name: template.name, locale: template.locale })}>
                    {t("templates.preview")}
                  </Button>{" "}
                  {can.admin ? (
                    <>
                      <Button small onPress={() => setEditing(template)} aria-label={t("templates.editLabel", { name: template.name, locale: template.locale })}>
                        {t("common.edit")}
                      </Button>{" "}
                      <Button
                        small
                        variant="danger"
                        aria-label={t("templates.deleteLabel", { name: template.name, locale: template.locale })}
                        onPress={() => remove.ask(template)}
                      >
                        {t("common.delete")}
                      </Button>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryState>
      {editing ? <TemplateDialog template={editing === "new" ? undefined : editing} onClose={() => setEditing(undefined)} /> : null}
      {previewing ? <PreviewDialog template={previewing} onClose={() => setPreviewing(undefined)} /> : null}
      <ConfirmDialog
        {...remove.dialog}
        title={t("templates.deleteTitle", { name: remove.target?.name ?? "", locale: remove.target?.locale ?? "" })}
        confirmLabel={t("common.delete")}
      >
        <p>{t("templates.deleteBody")}</p>
      </ConfirmDialog>
    </>
  );
}

function TemplateDialog({ template, onClose }: { template?: MessageTemplate; onClose: () => void }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [name, setName] = useState(template?.name ?? "");
  const [channel, setChannel] = useState<Channel>(template?.channel ?? "email");
  const [locale, setLocale] = useState(template?.locale ?? "id");
  const [description, setDescription] = useState(template?.description ?? "");
  const [params, setParams] = useState(paramsToText(template?.params ?? []));
  const [subject, setSubject] = useState(template?.subject ?? "");
  const [text, setText] = useState(template?.text ?? "");
  const [html, setHtml] = useState(template?.html ?? "");
  const [waName, setWaName] = useState(template?.whatsapp?.name ?? "");
  const [waLanguage, setWaLanguage] = useState(template?.whatsapp?.language ?? "");
  const [waBody, setWaBody] = useState(template?.whatsapp?.body.join(", ") ?? "");
  const save = useMutation({
    mutationFn: () => {
      const email = channel === "email";
      const whatsapp = channel === "whatsapp" && waName ? { name: waName, language: waLanguage || locale, body: names(waBody), header: [] } : null;
      const fields = {
        description: description || null,
        params: textToParams(params),
        subject: email ? subject : null,
        text,
        html: email && html ? html : null,
        whatsapp,
      };
      if (template) return api.patch<MessageTemplate>(`/api/admin/templates/${template.id}`, fields);
      const created = Object.fromEntries(Object.entries({ ...fields, name, channel, locale }).filter((entry) => entry[1] !== null));
      return api.post<MessageTemplate>("/api/admin/templates", created);
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["templates"] });
      onClose();
    },
  });
  return (
    <ModalDialog title={template ? t("templates.editTitle", { name: template.name, locale: template.locale }) : t("templates.create")} isOpen onOpenChange={(open) => !open && onClose()} wide>
      <SubmitForm onSubmit={() => save.mutate()}>
        {template ? null : (
          <>
            <Field label={t("templates.name")} value={name} onChange={setName} isRequired autoFocus description={t("templates.nameHint")} />
            <SelectField label={t("templates.channel")} options={CHANNELS.map((id) => ({ id, label: t(`channel.${id}` as MessageKey) }))} value={channel} onChange={(value) => setChannel(value as Channel)} />
            <Field label={t("templates.locale")} value={locale} onChange={setLocale} isRequired description={t("templates.localeHint")} />
          </>
        )}
        <Field label={t("templates.description")} value={description} onChange={setDescription} />
        <Field label={t("templates.params")} value={params} onChange={setParams} description={t("templates.paramsHint")} />
        {channel === "email" ? <Field label={t("templates.subject")} value={subject} onChange={setSubject} isRequired /> : null}
        <TextAreaField label={channel === "email" ? t("templates.textPart") : t("templates.text")} value={text} onChange={setText} isRequired description={t("templates.textHint")} />
        {channel === "email" ? <TextAreaField label={t("templates.html")} value={html} onChange={setHtml} rows={6} description={t("templates.htmlHint")} /> : null}
        {channel === "whatsapp" ? (
          <fieldset className="fieldset">
            <legend>{t("templates.whatsapp")}</legend>
            <Field label={t("templates.waName")} value={waName} onChange={setWaName} description={t("templates.waNameHint")} />
            <Field label={t("templates.waLanguage")} value={waLanguage} onChange={setWaLanguage} />
            <Field label={t("templates.waBody")} value={waBody} onChange={setWaBody} description={t("templates.waBodyHint")} />
          </fieldset>
        ) : null}
        <InlineError error={save.error} />
        <SubmitActions onCancel={onClose} submitLabel={t("common.save")} pending={save.isPending} />
      </SubmitForm>
    </ModalDialog>
  );
}

const SAMPLE: Record<TemplateParam["type"], string | number> = {
  string: "Ayu",
  number: 1500000,
  date: "2025-07-14",
  datetime: "2025-07-14T14:00:00+07:00",
  url: "https://hotel.example/booking",
  email: "guest@example.com",
  phone: "+6281234567890",
};

function PreviewDialog({ template, onClose }: { template: MessageTemplate; onClose: () => void }) {
  const { t } = useI18n();
  const [params, setParams] = useState(JSON.stringify(Object.fromEntries(template.params.map((param) => [param.name, SAMPLE[param.type]])), null, 2));
  const preview = useMutation({
    mutationFn: () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(params || "{}");
      } catch {
        throw new Error(t("templates.paramsNotJson"));
      }
      return api.post<Rendered>(`/api/admin/templates/${template.id}/preview`, { params: parsed });
    },
  });
  return (
    <ModalDialog title={t("templates.previewTitle", { name: template.name, locale: template.locale })} isOpen onOpenChange={(open) => !open && onClose()} wide>
      <SubmitForm onSubmit={() => preview.mutate()}>
        <TextAreaField label={t("templates.previewParams")} value={params} onChange={setParams} rows={6} />
        <InlineError error={preview.error} />
        <div className="dialog-actions">
          <Button onPress={onClose}>{t("common.close")}</Button>
          <Button type="submit" variant="primary" isDisabled={preview.isPending}>
            {t("templates.preview")}
          </Button>
        </div>
      </SubmitForm>
      {preview.data ? (
        <section aria-live="polite">
          <Facts
            items={[
              [t("templates.subject"), preview.data.subject],
              [
                t("templates.whatsapp"),
                preview.data.whatsapp && (
                  <>
                    <code>{preview.data.whatsapp.name}</code> ({preview.data.whatsapp.language}): {preview.data.whatsapp.body.map((param) => param.value).join(" | ")}
                  </>
                ),
              ],
            ]}
          />
          <h3 className="small-heading">{template.channel === "email" ? t("templates.textPart") : t("templates.text")}</h3>
          <pre className="code-block">{preview.data.text}</pre>
          {preview.data.html !== undefined ? (
            <>
              <h3 className="small-heading">{t("templates.html")}</h3>
              <pre className="code-block">{preview.data.html}</pre>
            </>
          ) : null}
        </section>
      ) : null}
    </ModalDialog>
  );
}
