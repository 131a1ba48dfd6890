import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** Tests' real SMTP server (smtp-server on 127.0.0.1), keeping every message parsed (mailparser). */
export interface SmtpSink {
  url: string;
  mails: ParsedMail[];
  /** The envelope's recipients, per message. */
  recipients: string[][];
  /** SMTP connections opened to it so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 that keeps every message it accepts, parsed. */
export async function startSmtpSink(options: { refuseFirst?: number } = {}): Promise<SmtpSink> {
  // Messages answered 451 (a temporary failure: the sender retries) before any is accepted.
  let refusals = options.refuseFirst ?? 0;
  const mails: ParsedMail[] = [];
  const recipients: string[][] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onData(stream, session, callback) {
      if (refusals > 0) {
        refusals -= 1;
        stream.resume();
        stream.on('end', () =>
          callback(Object.assign(new Error('try again later'), { responseCode: 451 })),
        );
        return;
      }
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          recipients.push(session.envelope.rcptTo.map((to) => to.address));
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    recipients,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
