// The profile dialog: the display name people see, changed here (the same rules as at sign-up, checked by the server).
import { $ } from "./dom.js";
import { api, updateUser } from "./session.js";
import { state } from "./state.js";

export function openProfile() {
  const dialog = $("profile");
  $("profile-name").value = state.session.user.displayName;
  $("profile-user").textContent = `@${state.session.user.userName}`;
  $("profile-error").textContent = "";
  dialog.showModal();
  $("profile-name").select();
}

export async function saveProfile(event) {
  event.preventDefault();
  const error = $("profile-error");
  error.textContent = "";
  try {
    const user = await api("/api/users/me", { method: "PUT", json: { displayName: $("profile-name").value } });
    updateUser(user);
    $("me-name").textContent = user.displayName;
    state.names.set(user.id, user.displayName);
    $("profile").close();
    $("edit-profile").focus();
  } catch (e) {
    error.textContent = e.message;
    $("profile-name").focus();
  }
}
