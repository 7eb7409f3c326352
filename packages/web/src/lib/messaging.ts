/** Shapes of the messaging API (packages/core/src/message, packages/core/src/template) the admin app reads. */
import type { MessageStatus } from "@sambung/core/message/record";
import type { Channel, ParamType } from "@sambung/core/template/record";
import { valuesOf } from "./types.ts";

export type { MessageStatus, MessageView } from "@sambung/core/message/record";
export type { Channel, ParamSpec as TemplateParam, Template as MessageTemplate } from "@sambung/core/template/record";
export type { Rendered } from "@sambung/core/template/render";

export const CHANNELS = valuesOf<Channel>({ email: true, whatsapp: true, sms: true });

export const MESSAGE_STATUSES = valuesOf<MessageStatus>({ queued: true, sending: true, sent: true, delivered: true, failed: true, unknown: true });

export const PARAM_TYPES = valuesOf<ParamType>({ string: true, number: true, date: true, datetime: true, url: true, email: true, phone: true });
