import { ROLES } from "../../../db/schema/users";
import type { User } from "../../core/workspace/users";
import type { T } from "../i18n";

/** The admins' People page: everyone with their role and state, and the invitation form. */
export function UsersPage({
  t,
  users,
  selfId,
  error,
  notice,
}: {
  t: T;
  users: User[];
  selfId: string;
  error?: string;
  notice?: string;
}) {
  return (
    <>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <section class="card">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("users.name")}</th>
              <th scope="col">{t("users.email")}</th>
              <th scope="col">{t("users.role")}</th>
              <th scope="col">{t("users.status")}</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <UserRow t={t} user={user} self={user.id === selfId} />
            ))}
          </tbody>
        </table>
      </section>
      <section class="card" aria-labelledby="invite">
        <h2 id="invite">{t("users.invite")}</h2>
        <form method="post" action="/app/users" class="stack">
          <div>
            <label for="invite-name">{t("users.name")}</label>
            <input id="invite-name" name="name" required maxlength={200} />
          </div>
          <div>
            <label for="invite-email">{t("users.email")}</label>
            <input id="invite-email" name="email" type="email" required />
          </div>
          <div>
            <label for="invite-role">{t("users.role")}</label>
            <RoleSelect t={t} id="invite-role" value="csm" />
          </div>
          <button type="submit">{t("users.inviteSubmit")}</button>
        </form>
      </section>
    </>
  );
}

/** One person's row; htmx swaps it in place after a change (the form posts normally without script). */
export function UserRow({ t, user, self, error }: { t: T; user: User; self: boolean; error?: string }) {
  const status = user.disabled
    ? t("users.disabled")
    : user.hasPassword
      ? t("users.active")
      : t("users.invited");
  const rowId = `user-${user.id}`;
  return (
    <tr id={rowId}>
      <td>{user.name}</td>
      <td>{user.email}</td>
      <td>
        <form
          method="post"
          action={`/app/users/${user.id}`}
          class="inline"
          hx-post={`/app/users/${user.id}`}
          hx-target={`#${rowId}`}
          hx-swap="outerHTML"
        >
          <label class="visually-hidden" for={`role-${user.id}`}>
            {`${t("users.role")}: ${user.name}`}
          </label>
          <RoleSelect t={t} id={`role-${user.id}`} value={user.role} />
          <button type="submit" class="secondary">
            {t("users.save")}
          </button>
        </form>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </td>
      <td>
        {status}{" "}
        {!self && (
          <form
            method="post"
            action={`/app/users/${user.id}`}
            class="inline"
            hx-post={`/app/users/${user.id}`}
            hx-target={`#${rowId}`}
            hx-swap="outerHTML"
          >
            <input type="hidden" name="disabled" value={user.disabled ? "false" : "true"} />
            <button
              type="submit"
              class="secondary"
              aria-label={`${user.disabled ? t("users.enable") : t("users.disable")}: ${user.name}`}
            >
              {user.disabled ? t("users.enable") : t("users.disable")}
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}

function RoleSelect({ t, id, value }: { t: T; id: string; value: string }) {
  return (
    <select id={id} name="role">
      {[...ROLES].reverse().map((role) => (
        <option value={role} selected={role === value}>
          {t(`role.${role}`)}
        </option>
      ))}
    </select>
  );
}
