import { Field, InputType } from 'type-graphql';

@InputType({ description: 'A host to add to the outbound allowlist.' })
export class OutboundHostInput {
  @Field({ description: 'data.example.gov.vn, *.example.gov.vn (names below it), 203.0.113.7, each optionally with :port.' })
  pattern: string;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: 'Allow loopback and private-network addresses for this entry; only for an exact host with a port (e.g. 10.0.5.20:8080).',
  })
  allowPrivate?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Why the host is allowed, for the next administrator (at most 500 characters).' })
  note?: string | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Codes of the departments whose connectors may use this entry. None: only connectors an administrator configured.',
  })
  departments?: string[] | null;
}
